/**
 * The local cloud's own costs, each against a baseline measured in this process:
 * - SQS calls through the message-move proxy vs straight to moto (the proxy's overhead);
 * - a message-move task (no rate limit) vs a bare receive → send → delete loop over the same queues;
 * - startLocalCloud without runtime (emulator + proxy + apply, stack already synthesized) vs the emulator alone.
 *
 *   npm run bench -- local-cloud
 */
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ListMessageMoveTasksCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SQSClient,
  StartMessageMoveTaskCommand,
} from "@aws-sdk/client-sqs";
import { setTimeout as sleep } from "node:timers/promises";
import { LOCAL_CREDENTIALS } from "../local/apply/context.js";
import { startLocalCloud } from "../local/cloud.js";
import { startEmulator } from "../local/emulator.js";
import { startSqsProxy } from "../local/message-moves/proxy.js";
import { recordFigure } from "./results.js";

const REGION = "eu-central-1";
const CALLS = 300;
const MESSAGES = 400;

function client(endpoint: string): SQSClient {
  return new SQSClient({ endpoint, region: REGION, credentials: LOCAL_CREDENTIALS });
}

async function callsPerSecond(sqs: SQSClient, queueUrl: string): Promise<number> {
  const started = performance.now();
  for (let call = 0; call < CALLS; call++) {
    await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["ApproximateNumberOfMessages"] }));
  }
  return CALLS / ((performance.now() - started) / 1000);
}

async function fill(sqs: SQSClient, queueUrl: string): Promise<void> {
  for (let start = 0; start < MESSAGES; start += 10) {
    await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: Array.from({ length: 10 }, (_, index) => ({ Id: String(index), MessageBody: `m-${start + index}` })),
      }),
    );
  }
}

async function bareMove(sqs: SQSClient, fromUrl: string, toUrl: string): Promise<number> {
  let moved = 0;
  const started = performance.now();
  while (moved < MESSAGES) {
    const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: fromUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 30 }));
    if (Messages.length === 0) break;
    await sqs.send(new SendMessageBatchCommand({ QueueUrl: toUrl, Entries: Messages.map((m, i) => ({ Id: String(i), MessageBody: m.Body! })) }));
    await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: fromUrl, Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })) }));
    moved += Messages.length;
  }
  return moved / ((performance.now() - started) / 1000);
}

async function taskMove(sqs: SQSClient, dlqArn: string): Promise<number> {
  const started = performance.now();
  await sqs.send(new StartMessageMoveTaskCommand({ SourceArn: dlqArn }));
  for (;;) {
    const { Results = [] } = await sqs.send(new ListMessageMoveTasksCommand({ SourceArn: dlqArn }));
    if (Results[0]?.Status !== "RUNNING") return (Results[0]?.ApproximateNumberOfMessagesMoved ?? 0) / ((performance.now() - started) / 1000);
    await sleep(50);
  }
}

async function queueArn(sqs: SQSClient, url: string): Promise<string> {
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["QueueArn"] }));
  return Attributes!.QueueArn!;
}

async function proxyAndMoves(): Promise<void> {
  const emulator = await startEmulator();
  const proxy = await startSqsProxy({ upstream: emulator.endpoint, credentials: LOCAL_CREDENTIALS });
  const direct = client(emulator.endpoint);
  const proxied = client(proxy.endpoint);
  try {
    const dlq = (await proxied.send(new CreateQueueCommand({ QueueName: "bench-dlq" }))).QueueUrl!;
    const dlqArn = await queueArn(proxied, dlq);
    const source = (
      await proxied.send(
        new CreateQueueCommand({ QueueName: "bench-source", Attributes: { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 5 }) } }),
      )
    ).QueueUrl!;
    await callsPerSecond(direct, dlq); // warm-up
    const directRate = await callsPerSecond(direct, dlq);
    const proxiedRate = await callsPerSecond(proxied, dlq);
    console.log(`SQS call via proxy: ${proxiedRate.toFixed(0)} calls/s vs ${directRate.toFixed(0)} calls/s straight to moto (ratio ${(proxiedRate / directRate).toFixed(2)})`);
    recordFigure({ name: "SQS calls through the front door vs straight to moto", value: proxiedRate / directRate, unit: "ratio" });

    await fill(direct, dlq);
    const bareRate = await bareMove(direct, dlq, source);
    await bareMove(direct, source, dlq); // put them back for the task
    const taskRate = await taskMove(proxied, dlqArn);
    console.log(`message move: task ${taskRate.toFixed(0)} msg/s vs bare receive→send→delete loop ${bareRate.toFixed(0)} msg/s (ratio ${(taskRate / bareRate).toFixed(2)}, ${MESSAGES} messages)`);
    recordFigure({ name: "message-move task vs a bare receive → send → delete loop", value: taskRate / bareRate, unit: "ratio" });
  } finally {
    direct.destroy();
    proxied.destroy();
    await proxy.stop();
    await emulator.stop();
  }
}

async function startup(): Promise<void> {
  let started = performance.now();
  const emulator = await startEmulator();
  const emulatorMs = performance.now() - started;
  await emulator.stop();
  await startLocalCloud({ runtime: false, stateFile: false }).then((cloud) => cloud.stop()); // synthesize if stale, outside the measurement
  started = performance.now();
  const cloud = await startLocalCloud({ runtime: false, stateFile: false });
  const cloudMs = performance.now() - started;
  await cloud.stop();
  recordFigure({ name: "local cloud start (no runtime) vs the emulator alone", value: cloudMs / emulatorMs, unit: "ratio" });
  console.log(
    `startLocalCloud without runtime: ${(cloudMs / 1000).toFixed(1)} s vs emulator alone ${(emulatorMs / 1000).toFixed(1)} s (ratio ${(cloudMs / emulatorMs).toFixed(1)}; phases ${JSON.stringify(cloud.timings)})`,
  );
}

await proxyAndMoves();
await startup();
