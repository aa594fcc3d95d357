import type { Printer } from '../types.js';
import { translateTimestampSince } from './age.js';
import { AGE_COLUMN, CONTAINERS_COLUMN, IMAGES_COLUMN, NAME_COLUMN, column, wide } from './columns.js';
import { DOC } from './descriptions.js';
import { asInt, asObject, formatLabelSelector, labelSelectorString, layoutContainerCells } from './format.js';

// printDeployment and printReplicaSet from kubernetes pkg/printers/internalversion/printers.go.

export const deploymentPrinter: Printer = {
  columns: [
    NAME_COLUMN,
    column('Ready', 'string', 'Number of the pod with ready state'),
    column('Up-to-date', 'string', DOC.depUpdatedReplicas),
    column('Available', 'string', DOC.depAvailableReplicas),
    AGE_COLUMN,
    CONTAINERS_COLUMN,
    IMAGES_COLUMN,
    wide('Selector', 'string', DOC.depSelector),
  ],
  cells(d, now) {
    const spec = asObject(d.spec);
    const status = asObject(d.status);
    const [names, images] = layoutContainerCells(spec.template);
    // Unlike the other printers, Deployments print an empty selector as "" (selector.String()).
    const selector = labelSelectorString(spec.selector) ?? '<invalid>';
    return [
      d.metadata.name ?? '',
      `${asInt(status.readyReplicas)}/${asInt(spec.replicas)}`,
      asInt(status.updatedReplicas),
      asInt(status.availableReplicas),
      translateTimestampSince(d.metadata.creationTimestamp, now),
      names,
      images,
      selector,
    ];
  },
};

export const replicaSetPrinter: Printer = {
  columns: [
    NAME_COLUMN,
    column('Desired', 'integer', DOC.rsSpecReplicas),
    column('Current', 'integer', DOC.rsStatusReplicas),
    column('Ready', 'integer', DOC.rsReadyReplicas),
    AGE_COLUMN,
    CONTAINERS_COLUMN,
    IMAGES_COLUMN,
    wide('Selector', 'string', DOC.rsSelector),
  ],
  cells(rs, now) {
    const spec = asObject(rs.spec);
    const status = asObject(rs.status);
    const [names, images] = layoutContainerCells(spec.template);
    return [
      rs.metadata.name ?? '',
      asInt(spec.replicas),
      asInt(status.replicas),
      asInt(status.readyReplicas),
      translateTimestampSince(rs.metadata.creationTimestamp, now),
      names,
      images,
      formatLabelSelector(spec.selector),
    ];
  },
};
