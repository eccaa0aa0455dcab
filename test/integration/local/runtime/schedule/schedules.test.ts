import { test } from "uvu";
import * as assert from "uvu/assert";
import type { ScheduledEvent } from "aws-lambda";
import { startRuntime, UnknownScheduleError, type LocalRuntime } from "../../../../../local/runtime/index.js";
import { startMoto, type MotoServer } from "../support/moto.js";
import {
  description,
  lambdaArtifact,
  lambdaFunction,
  recordingLog,
  REPORT_PRELUDE,
  schedule,
  scratchDir,
  startCollector,
  type Collector,
  type Scratch,
} from "../support/fixtures.js";

const HANDLER = `${REPORT_PRELUDE}
let invocations = 0;
export const handler = async (event) => { await report({ event, at: Date.now(), warm: invocations++ > 0 }); return { ok: true }; };
`;

interface World {
  moto: MotoServer;
  scratch: Scratch;
  collector: Collector;
  runtime: LocalRuntime;
}

const world = {} as World;
const SPEED_UP = 60;

type Report = { event: ScheduledEvent & { marker?: string }; at: number; warm: boolean };

function reportsOf(ruleName: string): Report[] {
  return (world.collector.reports as Report[]).filter((report) => report.event.resources?.[0]?.endsWith(`rule/${ruleName}`));
}

test.before(async () => {
  world.moto = await startMoto();
  world.scratch = scratchDir();
  world.collector = await startCollector();
  const archivePath = lambdaArtifact(world.scratch, "ticker", HANDLER);
  world.runtime = await startRuntime(
    description(world.moto.endpoint, {
      functions: [lambdaFunction({ functionName: "ticker", archivePath, environment: { COLLECTOR_URL: world.collector.url } })],
      schedules: [
        schedule({ ruleName: "every-minute", scheduleExpression: "rate(1 minute)", targets: [{ functionName: "ticker" }] }),
        schedule({ ruleName: "cron-every-minute", scheduleExpression: "cron(* * * * ? *)", targets: [{ functionName: "ticker" }] }),
        schedule({ ruleName: "daily", scheduleExpression: "cron(0 3 * * ? *)", targets: [{ functionName: "ticker", input: '{"marker":"constant input"}' }] }),
        schedule({ ruleName: "disabled", scheduleExpression: "rate(1 minute)", enabled: false, targets: [{ functionName: "ticker" }] }),
      ],
    }),
    { clientConfig: world.moto.clientConfig, log: recordingLog(), workDir: world.scratch.dir, scheduleSpeedUp: SPEED_UP, alarmEvaluationIntervalMs: 0 },
  );
});

test.after(async () => {
  await world.runtime?.stop();
  await world.collector?.close();
  await world.moto?.stop();
  world.scratch?.remove();
});

/**
 * Two successive firings of the rule that both ran in a warm sandbox: their handlers' start times are then the
 * firings' times. A cold start's init (seconds on a loaded machine) delays only its own firing's handler, so the first
 * firing's time against the second's measured the init, not the schedule.
 */
function warmConsecutiveFirings(ruleName: string): [Report, Report] | undefined {
  const fired = reportsOf(ruleName).sort((a, b) => a.at - b.at);
  const index = fired.findIndex((report, at) => at > 0 && report.warm && fired[at - 1]!.warm);
  return index > 0 ? [fired[index - 1]!, fired[index]!] : undefined;
}

test("a rate schedule fires its target on the accelerated clock with the scheduled-event payload", async () => {
  // act: rate(1 minute) at 60x fires about every second
  const deadline = Date.now() + 30_000;
  while (!warmConsecutiveFirings("every-minute") && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));

  // assess
  const fired = warmConsecutiveFirings("every-minute");
  assert.ok(fired, `two consecutive firings ran warm within 30 s (fired ${reportsOf("every-minute").length} times)`);
  const gapMs = fired[1].at - fired[0].at;
  assert.ok(gapMs > 500 && gapMs < 2500, `about 60 s / ${SPEED_UP} between firings, got ${gapMs} ms`);
  const event = fired[0].event;
  assert.equal(Object.keys(event).sort(), ["account", "detail", "detail-type", "id", "region", "resources", "source", "time", "version"]);
  assert.is(event.version, "0");
  assert.is(event["detail-type"], "Scheduled Event");
  assert.is(event.source, "aws.events");
  assert.is(event.account, "123456789012");
  assert.is(event.region, "us-east-1");
  assert.equal(event.resources, ["arn:aws:events:us-east-1:123456789012:rule/every-minute"]);
  assert.equal(event.detail, {});
  assert.match(event.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.is.not(fired[0].event.id, fired[1].event.id, "each event has its own id");
});

test("a cron schedule fires on minute boundaries of the accelerated clock", async () => {
  // act
  const deadline = Date.now() + 30_000;
  while (reportsOf("cron-every-minute").length < 1 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));

  // assess
  assert.ok(reportsOf("cron-every-minute").length >= 1, "cron(* * * * ? *) fired");
  assert.is(reportsOf("disabled").length, 0, "a disabled rule never fires");
});

test("fireSchedule invokes the targets now, with a target's constant input", async () => {
  // prepare
  const before = world.collector.reports.length;

  // act
  const outcomes = await world.runtime.fireSchedule("daily");

  // assess
  assert.equal(outcomes, [{ functionName: "ticker", ok: true, payload: { ok: true } }]);
  const delivered = (world.collector.reports.slice(before) as Report[]).map((report) => report.event);
  assert.ok(delivered.some((event) => event.marker === "constant input"));
  assert.ok(world.runtime.counters().schedules["daily"]! >= 1);
});

test("an unknown rule is refused by name", async () => {
  // act
  const error = await world.runtime.fireSchedule("no-such-rule").catch((caught: unknown) => caught);

  // assess
  assert.instance(error, UnknownScheduleError);
  assert.match((error as Error).message, "no-such-rule");
});

test.run();
