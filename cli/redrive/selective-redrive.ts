import {
  DeleteMessageBatchCommand,
  SendMessageBatchCommand,
  type MessageAttributeValue,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import type { Log } from "../../lib/logger.js";
import { CloudOperationError } from "../errors.js";
import { ERROR_KIND_ATTRIBUTE, ERROR_MESSAGE_ATTRIBUTE, type DeadLetter } from "../../contracts/dead-letter.js";
import { matchesFilter, type RedriveFilter } from "./redrive-filter.js";
import { readDeadLetters, releaseDeadLetters, type DlqReadOptions } from "./dlq-reader.js";
import { MOVE_STEP, type MoveJournal } from "./journal.js";
import { createPacer, type Sleep } from "./pacer.js";

export interface SelectiveRedriveParams {
  sqs: SQSClient;
  dlqUrl: string;
  sourceUrl: string;
  filter: RedriveFilter;
  journal: MoveJournal;
  log: Log;
  maxPerSecond?: number;
  read?: Partial<DlqReadOptions>;
  onProgress?: (progress: SelectiveRedriveProgress) => void;
  sleep?: Sleep;
}

export interface SelectiveRedriveProgress {
  examined: number;
  moved: number;
}

export interface SelectiveRedriveResult {
  /** Sent to the source queue and deleted from the DLQ. */
  moved: DeadLetter[];
  /** Deleted without a send: a byte-identical DLQ copy of a message this run already moved. */
  duplicates: DeadLetter[];
  /** Sent by an earlier, interrupted run; this run only deleted the DLQ copy. */
  finishedFromJournal: DeadLetter[];
  /** Did not match the filter; left in the DLQ, visible again. */
  leftInDlq: number;
  /** The source queue refused them; left in the DLQ. */
  failed: Array<{ letter: DeadLetter; error: string }>;
}

/**
 * Moves the DLQ messages that match a filter back to their source queue, each exactly once — what
 * SQS's StartMessageMoveTask (whole queue only) cannot do. Per batch: journal "sending", send to the
 * source, journal "sent", delete from the DLQ, journal "done". A crash after the send leaves a
 * "sent" entry, and the next run deletes that copy without sending it again; a crash during the
 * send leaves "sending", and the next run sends again — harmless, because the update manager
 * applies each idempotencyKey once and the telemetry processor each object version once. Two DLQ
 * copies with byte-identical bodies (what SQS's own duplicates are) are sent once; letters that only
 * share a business key are all sent and left to the consumer's idempotency, because that key can be
 * another sender's text (vehicle A can write B's job id into its own report; the update manager parks
 * A's and applies B's, whereas dropping one here could delete B's unsent). `read.queue` says which DLQ
 * it is (update by default).
 *
 * @example
 * const result = await redriveSelected({ sqs, dlqUrl, sourceUrl, filter: { campaignId: "cmp-1" }, journal, log });
 * console.log(result.moved.length);
 */
export async function redriveSelected(params: SelectiveRedriveParams): Promise<SelectiveRedriveResult> {
  const { sqs, dlqUrl, sourceUrl, filter, journal, log } = params;
  const pace = createPacer(params.maxPerSecond, params.sleep);
  const result: SelectiveRedriveResult = { moved: [], duplicates: [], finishedFromJournal: [], leftInDlq: 0, failed: [] };
  const bodiesSent = new Set<string>();
  const untouched: DeadLetter[] = [];
  let examined = 0;
  try {
    for await (const batch of readDeadLetters(sqs, dlqUrl, params.read)) {
      examined += batch.length;
      const toSend: DeadLetter[] = [];
      const toDelete: DeadLetter[] = [];
      for (const letter of batch) {
        if (journal.stepOf(letter.messageId) === MOVE_STEP.Sent) {
          result.finishedFromJournal.push(letter);
          toDelete.push(letter);
        } else if (!matchesFilter(letter, filter)) {
          untouched.push(letter);
        } else if (bodiesSent.has(letter.bodyDigest) || toSend.some((other) => other.bodyDigest === letter.bodyDigest)) {
          result.duplicates.push(letter);
          toDelete.push(letter);
        } else {
          toSend.push(letter);
        }
      }
      await pace(toSend.length);
      const sent = await sendToSource(sqs, sourceUrl, toSend, journal, result);
      for (const letter of sent) bodiesSent.add(letter.bodyDigest);
      await deleteFromDlq(sqs, dlqUrl, [...sent, ...toDelete], journal);
      result.moved.push(...sent);
      params.onProgress?.({ examined, moved: result.moved.length });
      log.debug("redrive batch", { examined, sent: sent.length, deleted: sent.length + toDelete.length });
    }
  } finally {
    await releaseDeadLetters(sqs, dlqUrl, [...untouched, ...result.failed.map((failure) => failure.letter)]);
  }
  result.leftInDlq = untouched.length;
  if (journal.unfinished().length === 0) journal.clear();
  return result;
}

async function sendToSource(
  sqs: SQSClient,
  sourceUrl: string,
  letters: DeadLetter[],
  journal: MoveJournal,
  result: SelectiveRedriveResult,
): Promise<DeadLetter[]> {
  if (letters.length === 0) return [];
  for (const letter of letters) journal.record({ messageId: letter.messageId, businessKey: letter.businessKey, step: MOVE_STEP.Sending });
  const response = await sqs.send(
    new SendMessageBatchCommand({
      QueueUrl: sourceUrl,
      Entries: letters.map((letter, index) => ({
        Id: String(index),
        MessageBody: letter.body,
        MessageAttributes: forwardableAttributes(letter.messageAttributes),
      })),
    }),
  );
  for (const failure of response.Failed ?? []) {
    const letter = letters[Number(failure.Id)];
    if (letter) result.failed.push({ letter, error: `${failure.Code ?? "error"}: ${failure.Message ?? "send refused"}` });
  }
  const sent = (response.Successful ?? []).map((entry) => letters[Number(entry.Id)]).filter((letter): letter is DeadLetter => !!letter);
  for (const letter of sent) journal.record({ messageId: letter.messageId, businessKey: letter.businessKey, step: MOVE_STEP.Sent });
  return sent;
}

async function deleteFromDlq(sqs: SQSClient, dlqUrl: string, letters: DeadLetter[], journal: MoveJournal): Promise<void> {
  for (let start = 0; start < letters.length; start += 10) {
    const chunk = letters.slice(start, start + 10);
    const response = await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: dlqUrl,
        Entries: chunk.map((letter, index) => ({ Id: String(index), ReceiptHandle: letter.receiptHandle })),
      }),
    );
    if (response.Failed?.length) {
      const first = response.Failed[0];
      // The journal keeps them "sent": the next run deletes them and sends nothing twice.
      throw new CloudOperationError(`could not delete ${response.Failed.length} redriven message(s) from the DLQ (${first?.Code}: ${first?.Message}); run redrive again to finish`);
    }
    for (const letter of chunk) journal.record({ messageId: letter.messageId, businessKey: letter.businessKey, step: MOVE_STEP.Done });
  }
}

/** Keeps the producer's attributes, drops the diagnosis ones that would be stale on the source queue. */
function forwardableAttributes(attributes: Record<string, MessageAttributeValue>): Record<string, MessageAttributeValue> | undefined {
  const kept: Record<string, MessageAttributeValue> = {};
  for (const [name, value] of Object.entries(attributes)) {
    if (name === ERROR_KIND_ATTRIBUTE || name === ERROR_MESSAGE_ATTRIBUTE) continue;
    kept[name] = value.BinaryValue !== undefined
      ? { DataType: value.DataType, BinaryValue: value.BinaryValue }
      : { DataType: value.DataType, StringValue: value.StringValue };
  }
  return Object.keys(kept).length ? kept : undefined;
}
