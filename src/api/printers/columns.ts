import type { TableColumn } from '../types.js';
import { DOC } from './descriptions.js';

// Column definitions are built the way upstream writes them: Format is empty except for the
// Name column, priority 1 marks the `-o wide` columns.

export function column(name: string, type: TableColumn['type'], description: string, priority = 0): TableColumn {
  return { name, type, format: '', description, priority };
}

export function wide(name: string, type: TableColumn['type'], description: string): TableColumn {
  return column(name, type, description, 1);
}

export const NAME_COLUMN: TableColumn = { name: 'Name', type: 'string', format: 'name', description: DOC.metaName, priority: 0 };

export const AGE_COLUMN: TableColumn = column('Age', 'string', DOC.metaCreationTimestamp);

export const CONTAINERS_COLUMN: TableColumn = wide('Containers', 'string', 'Names of each container in the template.');

export const IMAGES_COLUMN: TableColumn = wide('Images', 'string', 'Images referenced by each container in the template.');
