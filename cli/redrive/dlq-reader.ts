import {
  ChangeMessageVisibilityBatchCommand,
  ReceiveMessageCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import { DEAD_LETTER_QUEUE, describeDeadLetter, type DeadLetter, type DeadLetterQueue } from "../../contracts/dead-letter.js";

export interface DlqReadOptions {
  /**
   * How long a read message stays hidden. It must outlast the whole enumeration, or messages
   * reappear and are read again (they are recognised by id and skipped, but cost extra calls).
   */
  visibilityTimeoutSeconds: number;
  /** Stop after this many consecutive empty receives (SQS may answer empty while messages exist). */
  emptyReceivesToStop: number;
  waitTimeSeconds: number;
  /** Which DLQ it is, so each message is diagnosed against the right contract. */
  queue: DeadLetterQueue;
}

export const dlqReadDefaults: DlqReadOptions = { visibilityTimeoutSeconds: 60, emptyReceivesToStop: 2, waitTimeSeconds: 1, queue: DEAD_LETTER_QUEUE.Updates };

/**
 * Reads the DLQ in batches of 10, each message once, hiding what it read. Yields per batch so a
 * caller can act (move, delete) while the read messages are still hidden.
 *
 * @example
 * for await (const batch of readDeadLetters(sqs, dlqUrl)) console.log(batch.length);
 */
export async function* readDeadLetters(
  sqs: SQSClient,
  queueUrl: string,
  options: Partial<DlqReadOptions> = {},
): AsyncGenerator<DeadLetter[]> {
  const settings = { ...dlqReadDefaults, ...options };
  const seen = new Set<string>();
  let emptyReceives = 0;
  while (emptyReceives < settings.emptyReceivesToStop) {
    const response = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        VisibilityTimeout: settings.visibilityTimeoutSeconds,
        WaitTimeSeconds: settings.waitTimeSeconds,
        MessageAttributeNames: ["All"],
        MessageSystemAttributeNames: ["All"],
      }),
    );
    const fresh = (response.Messages ?? []).map((message) => describeDeadLetter(message, settings.queue)).filter((letter) => !seen.has(letter.messageId));
    if (fresh.length === 0) {
      emptyReceives += 1;
      continue;
    }
    emptyReceives = 0;
    for (const letter of fresh) seen.add(letter.messageId);
    yield fresh;
  }
}

/**
 * Makes read-but-untouched messages visible again at once (visibility timeout 0), so a dry run or
 * the messages a filter left behind do not stay hidden for the rest of the timeout.
 *
 * @example
 * await releaseDeadLetters(sqs, dlqUrl, peeked);
 */
export async function releaseDeadLetters(sqs: SQSClient, queueUrl: string, letters: DeadLetter[]): Promise<void> {
  for (let start = 0; start < letters.length; start += 10) {
    const chunk = letters.slice(start, start + 10);
    await sqs.send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl: queueUrl,
        Entries: chunk.map((letter, index) => ({ Id: String(index), ReceiptHandle: letter.receiptHandle, VisibilityTimeout: 0 })),
      }),
    );
  }
}

/**
 * Lists every DLQ message without consuming any: each is received once with a visibility
 * timeout that outlasts the listing, then released. The trade-off: a receive with visibility 0
 * would never hide anything but cannot enumerate (the same ten messages come back each time);
 * hiding them lets the listing see each message exactly once, at the cost of raising each
 * message's receive count by one and hiding it from other readers for the few seconds it takes.
 *
 * @example
 * const letters = await peekDeadLetters(sqs, dlqUrl);
 */
export async function peekDeadLetters(sqs: SQSClient, queueUrl: string, options: Partial<DlqReadOptions> = {}): Promise<DeadLetter[]> {
  const letters: DeadLetter[] = [];
  try {
    for await (const batch of readDeadLetters(sqs, queueUrl, options)) letters.push(...batch);
  } finally {
    await releaseDeadLetters(sqs, queueUrl, letters);
  }
  return letters;
}
