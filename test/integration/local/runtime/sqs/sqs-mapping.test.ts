import { createHash } from "node:crypto";
import { test } from "uvu";
import * as assert from "uvu/assert";
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import type { SQSRecord } from "aws-lambda";
import { startRuntime, type LocalRuntime } from "../../../../../local/runtime/index.js";
import { startMoto, type MotoServer } from "../support/moto.js";
import {
  description,
  lambdaArtifact,
  lambdaFunction,
  recordingLog,
  REPORT_PRELUDE,
  scratchDir,
  sqsMapping,
  startCollector,
  type Collector,
  type Scratch,
} from "../support/fixtures.js";

/** Reports every record; fails the ones whose body is "poison"; answers nonsense for "bogus-response". */
const HANDLER = `${REPORT_PRELUDE}
export const handler = async (event) => {
  for (const record of event.Records) await report({ record });
  if (event.Records.some((record) => record.body === "bogus-response")) {
    return { batchItemFailures: [{ itemIdentifier: "not-a-message-of-this-batch" }] };
  }
  return { batchItemFailures: event.Records.filter((record) => record.body === "poison").map((record) => ({ itemIdentifier: record.messageId })) };
};
`;

interface World {
  moto: MotoServer;
  sqs: SQSClient;
  scratch: Scratch;
  collector: Collector;
  runtime?: LocalRuntime;
}

const world = {} as World;

/**
 * The queues' visibility timeout: a failed record comes back within seconds, and one delivery (receive, the 1 s batching
 * window, a cold start, the handler's reports, the delete) fits well inside it on a loaded machine: it took 1.5-1.7 s
 * up to the last report at load 9, so at 3 s a delivery could outlast it and ok-1 be delivered twice.
 */
const VISIBILITY_SECONDS = 8;

async function queueWithDlq(name: string, maxReceiveCount: number) {
  const dlq = await world.sqs.send(new CreateQueueCommand({ QueueName: `${name}-dlq` }));
  const dlqArn = (await world.sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl, AttributeNames: ["QueueArn"] }))).Attributes!.QueueArn!;
  const queue = await world.sqs.send(
    new CreateQueueCommand({
      QueueName: name,
      Attributes: { VisibilityTimeout: String(VISIBILITY_SECONDS), RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount }) },
    }),
  );
  const queueArn = (await world.sqs.send(new GetQueueAttributesCommand({ QueueUrl: queue.QueueUrl, AttributeNames: ["QueueArn"] }))).Attributes!.QueueArn!;
  return { queueUrl: queue.QueueUrl!, queueArn, dlqUrl: dlq.QueueUrl! };
}

async function drain(queueUrl: string): Promise<string[]> {
  const bodies: string[] = [];
  for (;;) {
    const { Messages = [] } = await world.sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
    if (Messages.length === 0) return bodies.sort();
    bodies.push(...Messages.map((message) => message.Body ?? ""));
  }
}

function reportedRecords(): SQSRecord[] {
  return world.collector.reports.map((report) => (report as { record: SQSRecord }).record);
}

test.before(async () => {
  world.moto = await startMoto();
  world.sqs = new SQSClient(world.moto.clientConfig);
  world.scratch = scratchDir();
  world.collector = await startCollector();
});

test.after(async () => {
  await world.runtime?.stop();
  world.sqs?.destroy();
  await world.collector?.close();
  await world.moto?.stop();
  world.scratch?.remove();
});

test("a failed record is redelivered until the redrive policy moves it to the DLQ; the others are deleted once", async () => {
  // prepare
  const work = await queueWithDlq("work", 2);
  const strict = await queueWithDlq("strict", 1);
  const archivePath = lambdaArtifact(world.scratch, "consumer", HANDLER);
  const environment = { COLLECTOR_URL: world.collector.url };
  const log = recordingLog();
  world.runtime = await startRuntime(
    description(world.moto.endpoint, {
      functions: [
        lambdaFunction({ functionName: "consumer", archivePath, environment }),
        lambdaFunction({ functionName: "strict-consumer", archivePath, environment }),
      ],
      eventSourceMappings: [
        sqsMapping({ functionName: "consumer", ...work, maximumBatchingWindowSeconds: 1 }),
        sqsMapping({ functionName: "strict-consumer", ...strict }),
      ],
    }),
    { clientConfig: world.moto.clientConfig, log, workDir: world.scratch.dir, pollWaitSeconds: 1, alarmEvaluationIntervalMs: 0 },
  );

  // act
  await world.sqs.send(
    new SendMessageBatchCommand({
      QueueUrl: work.queueUrl,
      Entries: [
        { Id: "a", MessageBody: "ok-1", MessageAttributes: { vin: { DataType: "String", StringValue: "1HGCM82633A004352" } } },
        { Id: "b", MessageBody: "poison" },
        { Id: "c", MessageBody: "ok-2" },
      ],
    }),
  );
  await world.sqs.send(new SendMessageCommand({ QueueUrl: strict.queueUrl, MessageBody: "bogus-response" }));
  await world.runtime.waitForIdle(60_000);

  // assess
  assert.equal(await drain(work.dlqUrl), ["poison"], "the failed record is in the DLQ");
  assert.equal(await drain(work.queueUrl), [], "nothing left in the source queue");
  const workRecords = reportedRecords().filter((record) => record.eventSourceARN === work.queueArn);
  const deliveries = (body: string) => workRecords.filter((record) => record.body === body);
  assert.is(deliveries("ok-1").length, 1, "ok-1 delivered once");
  assert.is(deliveries("ok-2").length, 1, "ok-2 delivered once");
  assert.equal(deliveries("poison").map((record) => record.attributes.ApproximateReceiveCount), ["1", "2"], "poison delivered maxReceiveCount times");
  assert.equal(await drain(strict.dlqUrl), ["bogus-response"], "an invalid batch response fails the whole batch");
  const counters = world.runtime.counters();
  assert.is(counters.mappings["consumer <- work"]!.recordsDeleted, 2);
  assert.is(counters.functions["consumer"]!.errors, 0, "partial failures are not function errors");
});

test("records are shaped exactly as Lambda's SQS event source delivers them", () => {
  // prepare
  const record = reportedRecords().find((candidate) => candidate.body === "ok-1");
  assert.ok(record, "ok-1 was reported");

  // assess
  assert.equal(Object.keys(record).sort(), [
    "attributes",
    "awsRegion",
    "body",
    "eventSource",
    "eventSourceARN",
    "md5OfBody",
    "md5OfMessageAttributes",
    "messageAttributes",
    "messageId",
    "receiptHandle",
  ]);
  assert.is(record.eventSource, "aws:sqs");
  assert.is(record.awsRegion, "us-east-1");
  assert.match(record.eventSourceARN, /^arn:aws:sqs:us-east-1:\d{12}:work$/);
  assert.is(record.md5OfBody, createHash("md5").update("ok-1").digest("hex"));
  assert.equal(Object.keys(record.attributes).sort(), ["ApproximateFirstReceiveTimestamp", "ApproximateReceiveCount", "SenderId", "SentTimestamp"]);
  assert.match(record.attributes.SentTimestamp, /^\d{13}$/);
  assert.equal(record.messageAttributes, {
    vin: { stringValue: "1HGCM82633A004352", stringListValues: [], binaryListValues: [], dataType: "String" },
  });
});

test.run();
