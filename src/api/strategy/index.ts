import type { KObject } from '../types.js';
import { dropTypeDependentFields } from './service.js';

/** Per-kind changes the server makes to an update before defaulting, by kind key. */
export const updateStrategies: Record<string, (obj: KObject, old: KObject) => void> = {
  '/Service': dropTypeDependentFields,
};
