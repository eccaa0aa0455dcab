import { test } from "uvu";
import * as assert from "uvu/assert";
import { FunctionInvocationError, FunctionTimeoutError, SandboxCrashError, startRuntime, UnknownFunctionError, type LocalRuntime } from "../../../../../local/runtime/index.js";
import { startMoto, type MotoServer } from "../support/moto.js";
import { description, lambdaArtifact, lambdaFunction, recordingLog, scratchDir, type Scratch } from "../support/fixtures.js";

/** Sleeps when asked, throws when asked, otherwise returns what it sees of its sandbox. */
const HANDLER = `
let coldStartedAt;
export const handler = async (event, context) => {
  coldStartedAt ??= Date.now();
  const startedAt = Date.now();
  if (event.sleepMs) await new Promise((resolve) => setTimeout(resolve, event.sleepMs));
  if (event.throw) throw new TypeError(event.throw);
  if (event.nestDepth) JSON.stringify(JSON.parse("[".repeat(event.nestDepth) + "]".repeat(event.nestDepth)));
  if (event.allocateMb) {
    const kept = [];
    for (let mb = 0; mb < event.allocateMb; mb++) kept.push(new Array(131072).fill(mb));
  }
  console.log("handled", context.awsRequestId);
  return {
    env: {
      name: process.env.AWS_LAMBDA_FUNCTION_NAME,
      endpoint: process.env.AWS_ENDPOINT_URL,
      region: process.env.AWS_REGION,
      table: process.env.FLEETOTA_STATE_TABLE,
      memory: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    },
    context: {
      functionName: context.functionName,
      invokedFunctionArn: context.invokedFunctionArn,
      awsRequestId: context.awsRequestId,
      remainingMs: context.getRemainingTimeInMillis(),
    },
    coldStartedAt,
    startedAt,
    endedAt: Date.now(),
  };
};
`;

interface World {
  moto: MotoServer;
  scratch: Scratch;
  runtime: LocalRuntime;
  log: ReturnType<typeof recordingLog>;
  output: string[];
}

const world = {} as World;
const PROBE_TIMEOUT_SECONDS = 3;

/** Worker output streams are asynchronous, like CloudWatch Logs: a line may arrive just after the result. */
async function eventually(check: () => boolean, timeoutMs = 10_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return true;
}

test.before(async () => {
  world.moto = await startMoto();
  world.scratch = scratchDir();
  world.log = recordingLog();
  world.output = [];
  const archivePath = lambdaArtifact(world.scratch, "probe", HANDLER);
  world.runtime = await startRuntime(
    description(world.moto.endpoint, {
      functions: [
        // 3 s: short enough to see a 10 s handler cut, long enough for a 300 ms one among eight on a loaded machine.
        lambdaFunction({ functionName: "probe", archivePath, timeoutSeconds: PROBE_TIMEOUT_SECONDS, environment: { FLEETOTA_STATE_TABLE: "state-table" } }),
        lambdaFunction({ functionName: "single", archivePath, reservedConcurrency: 1 }),
      ],
    }),
    {
      clientConfig: world.moto.clientConfig,
      log: world.log,
      workDir: world.scratch.dir,
      alarmEvaluationIntervalMs: 0,
      onFunctionOutput: (functionName, stream, line) => world.output.push(`${functionName} ${stream} ${line}`),
    },
  );
});

test.after(async () => {
  await world.runtime?.stop();
  await world.moto?.stop();
  world.scratch?.remove();
});

test("a function runs with its own environment, the emulator endpoint and a Lambda context", async () => {
  // act
  const result = (await world.runtime.invoke("probe", {})) as {
    env: Record<string, string>;
    context: { functionName: string; invokedFunctionArn: string; awsRequestId: string; remainingMs: number };
  };

  // assess
  assert.equal(result.env, { name: "probe", endpoint: world.moto.endpoint, region: "us-east-1", table: "state-table", memory: "256" });
  assert.is(result.context.functionName, "probe");
  assert.match(result.context.invokedFunctionArn, /:function:probe$/);
  assert.match(result.context.awsRequestId, /^[0-9a-f-]{36}$/);
  assert.ok(result.context.remainingMs > 0 && result.context.remainingMs <= PROBE_TIMEOUT_SECONDS * 1000, `remaining ${result.context.remainingMs} ms of a ${PROBE_TIMEOUT_SECONDS} s timeout`);
  const expectedLine = `probe stdout handled ${result.context.awsRequestId}`;
  assert.ok(await eventually(() => world.output.includes(expectedLine)), "the function's log line arrives tagged with its name");
});

test("a handler error rejects with its own error type and keeps the sandbox warm", async () => {
  // prepare
  const before = (await world.runtime.invoke("probe", {})) as { coldStartedAt: number };

  // act
  const error = await world.runtime.invoke("probe", { throw: "bad telemetry" }).catch((caught: unknown) => caught);
  const after = (await world.runtime.invoke("probe", {})) as { coldStartedAt: number };

  // assess
  assert.instance(error, FunctionInvocationError);
  assert.is((error as FunctionInvocationError).errorType, "TypeError");
  assert.is((error as FunctionInvocationError).errorMessage, "bad telemetry");
  assert.is(after.coldStartedAt, before.coldStartedAt, "same sandbox after a handled error");
});

test("a timeout is enforced, the sandbox is reset, and the next invocation works", async () => {
  // prepare
  const warm = (await world.runtime.invoke("probe", {})) as { coldStartedAt: number };
  const timeoutsBefore = world.runtime.counters().functions["probe"]!.timeouts;
  const startedAt = Date.now();

  // act
  const error = await world.runtime.invoke("probe", { sleepMs: 10_000 }).catch((caught: unknown) => caught);
  const elapsedMs = Date.now() - startedAt;
  const next = (await world.runtime.invoke("probe", {})) as { coldStartedAt: number };

  // assess
  assert.instance(error, FunctionTimeoutError);
  assert.ok(elapsedMs < PROBE_TIMEOUT_SECONDS * 1000 + 5000, `timed out after ${elapsedMs} ms, not after the handler's 10 s`);
  assert.is(world.runtime.counters().functions["probe"]!.timeouts, timeoutsBefore + 1);
  assert.ok(next.coldStartedAt > warm.coldStartedAt, "a fresh sandbox served the next invocation");
});

test("reserved concurrency 1 runs invocations one at a time", async () => {
  // act
  const results = (await Promise.all([1, 2, 3].map(() => world.runtime.invoke("single", { sleepMs: 200 })))) as Array<{ startedAt: number; endedAt: number }>;

  // assess
  const ordered = [...results].sort((a, b) => a.startedAt - b.startedAt);
  for (let index = 1; index < ordered.length; index += 1) {
    assert.ok(ordered[index]!.startedAt >= ordered[index - 1]!.endedAt, "no two invocations overlapped");
  }
  assert.ok(world.runtime.counters().functions["single"]!.throttles >= 2, "waiting invocations are counted as throttles");
});

test("waiting for the machine's limit (no reserved concurrency) is not a throttle: Lambda would have run them at once", async () => {
  // prepare
  const before = { ...world.runtime.counters().functions["probe"]! };

  // act: twice the local default of 4 at once
  await Promise.all(Array.from({ length: 8 }, () => world.runtime.invoke("probe", { sleepMs: 300 })));

  // assess
  const after = world.runtime.counters().functions["probe"]!;
  assert.is(after.invocations - before.invocations, 8);
  assert.ok(after.localWaits - before.localWaits >= 4, `at least 4 waited for a local slot (${after.localWaits - before.localWaits})`);
  assert.is(after.throttles, before.throttles, "no throttle counted, so no Throttles metric and no throttles alarm");
});

test("each invocation's measured duration is billed at the configured memory (GB-seconds)", async () => {
  const before = { ...world.runtime.counters().functions["probe"]! };
  // A warm invocation can finish within the same millisecond: each sleeps 20 ms so the duration is measurable.
  await world.runtime.invoke("probe", { sleepMs: 20 });
  await world.runtime.invoke("probe", { sleepMs: 20 });
  const after = world.runtime.counters().functions["probe"]!;
  const durationMs = after.durationMs - before.durationMs;
  assert.ok(durationMs >= 40, `two 20 ms invocations took ${durationMs} ms`);
  assert.ok(Math.abs(after.gbSeconds - before.gbSeconds - (durationMs / 1000) * (256 / 1024)) < 1e-9);
});

test("the stack is Lambda's main-thread stack: 2,000 nested arrays serialise, 5,000 overflow as on AWS", async () => {
  // act
  const shallow = await world.runtime.invoke("probe", { nestDepth: 2_000 }).catch((caught: unknown) => caught);
  const deep = await world.runtime.invoke("probe", { nestDepth: 5_000 }).catch((caught: unknown) => caught);

  // assess
  assert.not.instance(shallow, Error);
  assert.instance(deep, FunctionInvocationError);
  assert.is((deep as FunctionInvocationError).errorType, "RangeError");
});

test("memory is the function's configured size: passing it kills the sandbox, and a fresh one serves the next call", async () => {
  // prepare
  const warm = (await world.runtime.invoke("single", {})) as { coldStartedAt: number };

  // act: 1 GiB of live arrays in a 256 MB function
  const error = await world.runtime.invoke("single", { allocateMb: 1024 }).catch((caught: unknown) => caught);
  const next = (await world.runtime.invoke("single", {})) as { coldStartedAt: number };

  // assess
  assert.ok(error instanceof SandboxCrashError || error instanceof FunctionInvocationError, `died of ${String(error)}`);
  assert.match(String((error as Error).message), /memory|ERR_WORKER_OUT_OF_MEMORY|exited/i);
  assert.ok(next.coldStartedAt > warm.coldStartedAt, "a fresh sandbox served the next invocation");
});

test("an unknown function is refused by name", async () => {
  // act
  const error = await world.runtime.invoke("no-such-function", {}).catch((caught: unknown) => caught);

  // assess
  assert.instance(error, UnknownFunctionError);
  assert.match((error as Error).message, "no-such-function");
});

test.run();
