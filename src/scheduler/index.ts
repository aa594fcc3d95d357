// The scheduler's public surface for the control plane.
export { startScheduler, bindingOf, type RunningScheduler, type SchedulerOptions } from './scheduler.js';
export { schedulePod, fitErrorMessage, ERR_NO_NODES_AVAILABLE } from './schedule.js';
export { DEFAULT_SCHEDULER_NAME } from './eventhandlers.js';
