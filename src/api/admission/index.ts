import type { KObject } from '../types.js';
import { admitPod } from './pod.js';

/** Mutating admission on create, by kind key: runs after defaulting and before validation. */
export const admitters: Record<string, (obj: KObject) => void> = {
  '/Pod': admitPod,
};
