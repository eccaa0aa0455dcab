/**
 * Statuses of an SQS message-move task (StartMessageMoveTask / ListMessageMoveTasks), as AWS names them.
 * Shared by the operator CLI, which reads them, and the local cloud's proxy, which reports them.
 */
export const MOVE_TASK_STATUS = {
  Running: "RUNNING",
  Completed: "COMPLETED",
  Cancelling: "CANCELLING",
  Cancelled: "CANCELLED",
  Failed: "FAILED",
} as const;

export type MoveTaskStatus = (typeof MOVE_TASK_STATUS)[keyof typeof MOVE_TASK_STATUS];
