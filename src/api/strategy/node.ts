import type { Strategy } from './types.js';

// Nodes, after pkg/registry/core/node/strategy.go.

export const nodeStrategy: Strategy = {
  // A kubelet registers its node with the status it observed; upstream keeps it on create.
  prepareForCreate() {},
};
