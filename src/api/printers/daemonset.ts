import type { Printer } from '../types.js';
import { translateTimestampSince } from './age.js';
import { AGE_COLUMN, CONTAINERS_COLUMN, IMAGES_COLUMN, NAME_COLUMN, column, wide } from './columns.js';
import { DOC } from './descriptions.js';
import { asInt, asObject, formatLabelSelector, formatLabels, layoutContainerCells } from './format.js';

// printDaemonSet from kubernetes pkg/printers/internalversion/printers.go.

export const daemonSetPrinter: Printer = {
  columns: [
    NAME_COLUMN,
    column('Desired', 'integer', DOC.dsDesiredNumberScheduled),
    column('Current', 'integer', DOC.dsCurrentNumberScheduled),
    column('Ready', 'integer', DOC.dsNumberReady),
    column('Up-to-date', 'integer', DOC.dsUpdatedNumberScheduled),
    column('Available', 'integer', DOC.dsNumberAvailable),
    column('Node Selector', 'string', DOC.podNodeSelector),
    AGE_COLUMN,
    CONTAINERS_COLUMN,
    IMAGES_COLUMN,
    wide('Selector', 'string', DOC.dsSelector),
  ],
  cells(ds, now) {
    const spec = asObject(ds.spec);
    const status = asObject(ds.status);
    const [names, images] = layoutContainerCells(spec.template);
    return [
      ds.metadata.name ?? '',
      asInt(status.desiredNumberScheduled),
      asInt(status.currentNumberScheduled),
      asInt(status.numberReady),
      asInt(status.updatedNumberScheduled),
      asInt(status.numberAvailable),
      formatLabels(asObject(asObject(asObject(spec.template).spec).nodeSelector)),
      translateTimestampSince(ds.metadata.creationTimestamp, now),
      names,
      images,
      formatLabelSelector(spec.selector),
    ];
  },
};
