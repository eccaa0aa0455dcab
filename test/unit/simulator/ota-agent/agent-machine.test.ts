import { test } from "uvu";
import * as assert from "uvu/assert";
import type { OtaReport } from "../../../../telemetry/schema.js";
import { CONNECTIVITY_CLASS } from "../../../../contracts/update-messages.js";
import {
  BANK,
  initialMemory,
  stepAgent,
  unmetPrecondition,
  type AgentEnvironment,
  type AgentMemory,
  type PolledDocument,
  type VehicleFacts,
} from "../../../../simulator/ota-agent/agent-machine.js";
import { environment, facts, NOW, OTHER_VIN, signedDocument, signedWithdrawal, trust, VIN } from "./support/documents.js";
import { directorKey, releaseKeys } from "../../uptane/support/repositories.js";

const TICK_MS = 60_000;

interface Run {
  memory: AgentMemory;
  reports: OtaReport[];
  installedVersion?: string;
  now: number;
}

/** Ticks the agent every minute with the same document and vehicle until `ticks` have passed or a terminal report. */
function runAgent(
  document: PolledDocument | undefined,
  options: { vehicle?: VehicleFacts; env?: AgentEnvironment; memory?: AgentMemory; ticks?: number; start?: number } = {},
): Run {
  const vehicle = options.vehicle ?? facts();
  const env = options.env ?? environment();
  let memory = options.memory ?? initialMemory(vehicle.firmwareVersion, trust(), 6);
  const reports: OtaReport[] = [];
  let installedVersion: string | undefined;
  let now = options.start ?? NOW;
  for (let tick = 0; tick < (options.ticks ?? 60); tick++) {
    const step = stepAgent(memory, vehicle, now, document, env);
    memory = step.memory;
    if (step.installedVersion) installedVersion = step.installedVersion;
    if (step.report) reports.push(step.report);
    now += TICK_MS;
    if (step.report && ["SUCCEEDED", "FAILED", "ROLLED_BACK", "REJECTED"].includes(step.report.status)) break;
  }
  return { memory, reports, installedVersion, now };
}

const polled = (body: unknown, tag = "etag-1"): PolledDocument => ({ tag, body });
const statuses = (run: Run) => run.reports.map((report) => report.status);
const last = (run: Run) => run.reports[run.reports.length - 1];

test("a valid document on a parked, charged, connected vehicle goes download → install → verify → SUCCEEDED", () => {
  const run = runAgent(polled(signedDocument()));
  assert.equal(statuses(run), ["DOWNLOADING", "INSTALLING", "VERIFYING", "SUCCEEDED"]);
  assert.is(run.installedVersion, "2.4.0");
  assert.is(run.memory.banks[run.memory.activeBank], "2.4.0");
  assert.is(run.memory.antiRollbackCounter, 7);
});

test("sequences of one job rise strictly with every report", () => {
  const run = runAgent(polled(signedDocument()));
  const sequences = run.reports.map((report) => report.sequence);
  assert.ok(sequences.every((sequence, index) => index === 0 || sequence > sequences[index - 1]!), `not rising: ${sequences}`);
  assert.ok(run.reports.every((report) => report.jobId === `cmp-1:${VIN}` && report.campaignId === "cmp-1"));
});

/** Documents the director signed whose image the vehicle refuses: reported REJECTED against the job. */
const refusals: Array<[string, () => unknown, string]> = [
  ["a downgrade to an older version", () => signedDocument({ director: { custom: { targetVersion: "2.2.0" } }, image: { custom: { version: "2.2.0" } } }), "DOWNGRADE"],
  ["an image below the installed anti-rollback counter", () => signedDocument({ image: { custom: { antiRollbackCounter: 3 } } }), "DOWNGRADE"],
  ["an image for other hardware", () => signedDocument({ image: { custom: { hardwareIds: ["hu-4"] } } }), "WRONG_HARDWARE"],
  ["an image signed by one release key only", () => signedDocument({ image: { signers: [releaseKeys[0]!] } }), "BELOW_THRESHOLD"],
  ["an image the image repository never signed", () => signedDocument({ director: { sha256: "e".repeat(64) } }), "MIX_AND_MATCH"],
];

for (const [name, makeDocument, kind] of refusals) {
  test(`${name} is REJECTED with reason ${kind} and changes nothing on the vehicle`, () => {
    const run = runAgent(polled(makeDocument()));
    assert.equal(statuses(run), ["REJECTED"]);
    assert.match(last(run)?.reason ?? "", new RegExp(`^${kind}:`));
    assert.is(run.installedVersion, undefined);
    assert.is(run.memory.banks[BANK.A], "2.3.0");
  });
}

/** Documents that are not authentic (or not for this vehicle, or stale): no report, nothing changes. */
const ignored: Array<[string, () => unknown, string]> = [
  [
    "a tampered document",
    () => {
      const document = signedDocument() as { director: { signed: { targets: Record<string, { custom: { preconditions: { minStateOfChargePercent: number } } }> } } };
      Object.values(document.director.signed.targets)[0]!.custom.preconditions.minStateOfChargePercent = 0;
      return document;
    },
    "BAD_SIGNATURE",
  ],
  ["a document signed by another director key", () => signedDocument({ director: { key: directorKey() } }), "UNKNOWN_KEY"],
  ["an expired job document", () => signedDocument({ director: { expires: NOW - 1000 } }), "EXPIRED"],
  ["a document bound to another VIN", () => signedDocument({ director: { vin: OTHER_VIN } }), "WRONG_VIN"],
  [
    "a forged unsigned document for the same job with attempt 999",
    () => {
      const document = signedDocument({ director: { custom: { attempt: 999 } } }) as { director: { signatures: unknown[] } };
      document.director.signatures = [];
      return document;
    },
    "UNSIGNED",
  ],
];

for (const [name, makeDocument, kind] of ignored) {
  test(`${name} is refused as ${kind} without a report, and changes nothing`, () => {
    const run = runAgent(polled(makeDocument()), { ticks: 5 });
    assert.equal(run.reports, []);
    assert.is(run.memory.lastRefusal?.kind, kind);
    assert.is(run.memory.job, undefined);
    assert.equal(run.memory.concluded, {});
  });
}

test("a forged attempt-999 document neither ends the genuine job nor stops it installing afterwards", () => {
  const genuine = signedDocument();
  const started = runAgent(polled(genuine), { vehicle: facts({ parked: false }), ticks: 2 });
  const forgedBody = signedDocument({ director: { custom: { attempt: 999 } } }) as { director: { signatures: unknown[] } };
  forgedBody.director.signatures = [];
  const forged = runAgent(polled(forgedBody, "etag-forged"), { memory: started.memory, start: started.now, ticks: 3, vehicle: facts({ parked: false }) });
  assert.is(forged.memory.job?.job.attempt, 1, "the genuine job is still pending");
  assert.ok(forged.reports.every((report) => report.status !== "REJECTED"));
  const resumed = runAgent(polled(genuine, "etag-genuine-again"), { memory: forged.memory, start: forged.now });
  assert.is(last(resumed)?.status, "SUCCEEDED");
  assert.is(resumed.installedVersion, "2.4.0");
});

test("a refused document is reported once, not on every poll", () => {
  const document = polled(signedDocument({ image: { custom: { hardwareIds: ["hu-4"] } } }));
  const first = runAgent(document);
  const again = runAgent(document, { memory: first.memory, ticks: 5, start: first.now });
  assert.is(first.reports.length, 1);
  assert.is(again.reports.length, 0);
});

const deferrals: Array<[string, Partial<VehicleFacts>, string]> = [
  ["a moving vehicle", { parked: false }, "NOT_PARKED"],
  ["a low battery", { stateOfCharge: 12 }, "LOW_BATTERY"],
  ["a weak link when good connectivity is required", { connectivity: CONNECTIVITY_CLASS.Weak }, "CONNECTIVITY"],
  ["an offline vehicle", { connectivity: CONNECTIVITY_CLASS.Offline }, "CONNECTIVITY"],
];

for (const [name, vehicle, reason] of deferrals) {
  test(`${name} defers the job (${reason}) instead of failing it`, () => {
    const run = runAgent(polled(signedDocument()), { vehicle: facts(vehicle), ticks: 3 });
    assert.equal(statuses(run), ["DEFERRED"]);
    assert.match(run.reports[0]?.reason ?? "", new RegExp(`^${reason}:`));
    assert.is(run.memory.job?.phase, "DEFERRED");
  });
}

test("a deferred job starts downloading once the preconditions hold", () => {
  const document = polled(signedDocument());
  const driving = runAgent(document, { vehicle: facts({ parked: false }), ticks: 2 });
  const parked = runAgent(document, { memory: driving.memory, start: driving.now });
  assert.equal(statuses(driving), ["DEFERRED"]);
  assert.equal(statuses(parked), ["DOWNLOADING", "INSTALLING", "VERIFYING", "SUCCEEDED"]);
  assert.ok(parked.reports[0]!.sequence > driving.reports[0]!.sequence);
});

test("a deferred job re-reports its status at the heartbeat interval", () => {
  const run = runAgent(polled(signedDocument()), { vehicle: facts({ parked: false }), ticks: 11 });
  assert.equal(statuses(run), ["DEFERRED", "DEFERRED", "DEFERRED"]);
  assert.equal(run.reports.map((report) => report.sequence), [1, 2, 3]);
});

test("a deferred job whose document expires is REJECTED as expired", () => {
  const document = polled(signedDocument({ director: { expires: NOW + 5 * TICK_MS } }));
  const run = runAgent(document, { vehicle: facts({ parked: false }), ticks: 10 });
  assert.is(last(run)?.status, "REJECTED");
  assert.match(last(run)?.reason ?? "", /^EXPIRED:/);
});

test("a download over a weak link takes longer than over a good one", () => {
  const preconditions = { requireParked: true, minStateOfChargePercent: 30, connectivity: [CONNECTIVITY_CLASS.Good, CONNECTIVITY_CLASS.Weak] };
  const document = polled(signedDocument({ director: { custom: { preconditions } } }));
  const good = runAgent(document, { ticks: 200 });
  const weak = runAgent(document, { vehicle: facts({ connectivity: CONNECTIVITY_CLASS.Weak }), ticks: 200 });
  assert.is(last(good)?.status, "SUCCEEDED");
  assert.is(last(weak)?.status, "SUCCEEDED");
  assert.ok(weak.now - NOW > good.now - NOW, `weak ${weak.now - NOW} ms vs good ${good.now - NOW} ms`);
});

const faults: Array<[string, Parameters<typeof environment>[0], string, string]> = [
  ["a corrupt download", { corruptDownload: 1 }, "FAILED", "CORRUPT_IMAGE"],
  ["an install failure", { installFailure: 1 }, "FAILED", "INSTALL_ERROR"],
  ["a battery drop during install", { batteryDrop: 1 }, "FAILED", "BATTERY_DROP"],
  ["a power loss at reboot", { powerLoss: 1 }, "ROLLED_BACK", "POWER_LOSS"],
  ["a failed boot health check", { bootFailure: 1 }, "ROLLED_BACK", "BOOT_FAILURE"],
];

for (const [name, profile, status, reason] of faults) {
  test(`${name} ends ${status} (${reason}) with the previous firmware still running`, () => {
    const run = runAgent(polled(signedDocument()), { env: environment(profile, [0]) });
    assert.is(last(run)?.status, status);
    assert.match(last(run)?.reason ?? "", new RegExp(`^${reason}:`));
    assert.is(run.installedVersion, undefined);
    assert.is(run.memory.banks[run.memory.activeBank], "2.3.0");
    assert.is(run.memory.antiRollbackCounter, 6);
  });
}

test("a fault drawn above its probability does not happen", () => {
  const run = runAgent(polled(signedDocument()), { env: environment({ installFailure: 0.02, powerLoss: 0.02 }, [0.5]) });
  assert.is(last(run)?.status, "SUCCEEDED");
});

test("a retry (same job, next attempt) runs again and its sequence continues above the failed attempt", () => {
  const failed = runAgent(polled(signedDocument()), { env: environment({ installFailure: 1 }, [0]) });
  const retry = runAgent(polled(signedDocument({ director: { custom: { attempt: 2 } } }), "etag-2"), { memory: failed.memory, start: failed.now });
  assert.is(last(failed)?.status, "FAILED");
  assert.is(last(retry)?.status, "SUCCEEDED");
  assert.ok(retry.reports[0]!.sequence > last(failed)!.sequence);
});

test("the same attempt, polled again after it finished, is not run twice", () => {
  const done = runAgent(polled(signedDocument()));
  const again = runAgent(polled(signedDocument({ director: { custom: {} } }), "etag-rewritten"), { memory: done.memory, start: done.now, ticks: 5 });
  assert.is(last(done)?.status, "SUCCEEDED");
  assert.is(again.reports.length, 0);
});

test("a vehicle that already runs the target confirms SUCCEEDED instead of refusing a downgrade", () => {
  const run = runAgent(polled(signedDocument()), { vehicle: facts({ firmwareVersion: "2.4.0" }) });
  assert.equal(statuses(run), ["SUCCEEDED"]);
});

test("a signed withdrawal while deferred drops the job without a report; the withdrawn document put back is refused as REPLAY", () => {
  const original = signedDocument();
  const deferred = runAgent(polled(original), { vehicle: facts({ parked: false }), ticks: 1 });
  const withdrawn = runAgent(polled(signedWithdrawal(), "etag-withdrawal"), { memory: deferred.memory, start: deferred.now, ticks: 3 });
  assert.ok(deferred.memory.job);
  assert.is(withdrawn.memory.job, undefined);
  assert.is(withdrawn.reports.length, 0);
  const replayed = runAgent(polled(original, "etag-replayed"), { memory: withdrawn.memory, start: withdrawn.now });
  assert.equal(replayed.reports, []);
  assert.is(replayed.memory.lastRefusal?.kind, "REPLAY");
  assert.is(replayed.installedVersion, undefined);
});

test("a document that disappears (deleted, not withdrawn) changes nothing: the pending job stays", () => {
  const deferred = runAgent(polled(signedDocument()), { vehicle: facts({ parked: false }), ticks: 1 });
  const gone = runAgent({ tag: "absent", body: undefined }, { memory: deferred.memory, start: deferred.now, ticks: 3, vehicle: facts({ parked: false }) });
  assert.ok(gone.memory.job);
});

test("an older attempt's document after a newer one is refused as REPLAY", () => {
  const older = signedDocument();
  const newer = signedDocument({ director: { custom: { attempt: 2 } } });
  const pending = runAgent(polled(newer), { vehicle: facts({ parked: false }), ticks: 1 });
  const replay = runAgent(polled(older, "etag-older"), { memory: pending.memory, start: pending.now, ticks: 2, vehicle: facts({ parked: false }) });
  assert.is(replay.memory.job?.job.attempt, 2);
  assert.is(replay.memory.lastRefusal?.kind, "REPLAY");
});

test("unmetPrecondition names nothing when every precondition holds", () => {
  const preconditions = { requireParked: true, minStateOfChargePercent: 30, connectivity: [CONNECTIVITY_CLASS.Good] };
  assert.is(unmetPrecondition(preconditions, facts()), undefined);
  assert.is(unmetPrecondition({ ...preconditions, requireParked: false }, facts({ parked: false })), undefined);
});

test.run();
