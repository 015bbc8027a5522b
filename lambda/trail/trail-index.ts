/**
 * The trail table's sparse index of tasks accepted but not yet RUNNING or STOPPED (the overdue sweep
 * reads it). Its own module, free of SDK imports, because the CDK library names it too.
 */
export const AWAITING_INDEX = 'awaiting';
