import type { SQSRecord } from "aws-lambda";
import type { UpdateMessage } from "../../../../../contracts/update-messages.js";

/** The update manager's two queues, as its event source mappings name them in `eventSourceARN`. */
export const COMMAND_QUEUE_ARN = "arn:aws:sqs:eu-central-1:123456789012:fleetota-dev-commands";
export const REPORT_QUEUE_ARN = "arn:aws:sqs:eu-central-1:123456789012:fleetota-dev-update-jobs";

/**
 * An update message as its own queue delivers it: a command on the command queue, a candidate or report on the
 * vehicle-report queue.
 */
export function queuedRecord(messageId: string, message: UpdateMessage): SQSRecord {
  return { messageId, body: JSON.stringify(message), eventSourceARN: message.kind === "command" ? COMMAND_QUEUE_ARN : REPORT_QUEUE_ARN } as SQSRecord;
}
