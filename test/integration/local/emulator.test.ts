/**
 * The emulator process: installed into the project's venv, answers on a loopback port, and leaves no
 * process behind; without Python the error says what to install.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateQueueCommand, GetQueueAttributesCommand, ListQueuesCommand, SetQueueAttributesCommand, SQSClient } from "@aws-sdk/client-sqs";
import { LOCAL_CREDENTIALS } from "../../../local/apply/context.js";
import { ensureEmulatorInstalled, PythonNotFoundError, startEmulator } from "../../../local/emulator.js";

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test("the emulator answers SDK calls on 127.0.0.1 and its process is gone after stop", async () => {
  const emulator = await startEmulator();
  const sqs = new SQSClient({ endpoint: emulator.endpoint, region: "eu-central-1", credentials: LOCAL_CREDENTIALS });

  const listed = await sqs.send(new ListQueuesCommand({}));
  const aliveWhileRunning = isAlive(emulator.pid);
  await emulator.stop();
  sqs.destroy();

  assert.ok(emulator.endpoint.startsWith("http://127.0.0.1:"));
  assert.equal(listed.QueueUrls ?? [], []);
  assert.ok(aliveWhileRunning);
  assert.not.ok(isAlive(emulator.pid), "moto was stopped with its process group");
});

test("two emulators run side by side on different ports", async () => {
  const [first, second] = await Promise.all([startEmulator(), startEmulator()]);
  await Promise.all([first.stop(), second.stop()]);

  assert.is.not(first.port, second.port);
});

test("a queue's RedriveAllowPolicy is returned once set, by name and with All, and is gone once cleared (moto never returned it)", async () => {
  const emulator = await startEmulator();
  const sqs = new SQSClient({ endpoint: emulator.endpoint, region: "eu-central-1", credentials: LOCAL_CREDENTIALS });
  const attribute = (QueueUrl: string, name: "RedriveAllowPolicy" | "All") =>
    sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: [name] })).then((answer) => answer.Attributes?.RedriveAllowPolicy);
  const policy = JSON.stringify({ redrivePermission: "byQueue", sourceQueueArns: ["arn:aws:sqs:eu-central-1:123456789012:work"] });
  try {
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: "work-dlq" }));

    const unset = await attribute(QueueUrl!, "RedriveAllowPolicy");
    await sqs.send(new SetQueueAttributesCommand({ QueueUrl, Attributes: { RedriveAllowPolicy: policy } }));
    const [byName, withAll] = [await attribute(QueueUrl!, "RedriveAllowPolicy"), await attribute(QueueUrl!, "All")];
    await sqs.send(new SetQueueAttributesCommand({ QueueUrl, Attributes: { RedriveAllowPolicy: "" } }));
    const cleared = await attribute(QueueUrl!, "All");

    assert.is(unset, undefined);
    assert.is(byName, policy);
    assert.is(withAll, policy);
    assert.is(cleared, undefined);
  } finally {
    sqs.destroy();
    await emulator.stop();
  }
});

test("without Python the error names what to install", async () => {
  const projectRoot = mkdtempSync(join(tmpdir(), "fleetota-no-python-"));
  const previous = process.env.FLEETOTA_PYTHON;
  process.env.FLEETOTA_PYTHON = join(projectRoot, "no-such-python3");
  try {
    const error = await ensureEmulatorInstalled({ projectRoot }).catch((caught: unknown) => caught);

    assert.instance(error, PythonNotFoundError);
    assert.match((error as Error).message, /python3-venv/);
  } finally {
    if (previous === undefined) delete process.env.FLEETOTA_PYTHON;
    else process.env.FLEETOTA_PYTHON = previous;
    rmSync(projectRoot, { recursive: true, force: true });
  }
});

test.run();
