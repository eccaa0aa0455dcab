import { test } from "uvu";
import * as assert from "uvu/assert";
import type { OtaReport } from "../../../../telemetry/schema.js";
import { CONNECTIVITY_CLASS } from "../../../../contracts/update-messages.js";
import {
  BANK,
  IMAGE_FETCH_TRIES,
  imageFetchWanted,
  initialMemory,
  stepAgent,
  unmetPrecondition,
  type AgentEnvironment,
  type AgentMemory,
  type PolledDocument,
  type VehicleFacts,
} from "../../../../simulator/ota-agent/agent-machine.js";
import { fetchImages } from "../../../../simulator/ota-agent/image-fetcher.js";
import {
  environment,
  facts,
  IMAGE_BYTES,
  IMAGE_KEY,
  imageBucket,
  NOW,
  OTHER_VIN,
  s3Error,
  SIGNED_IMAGE,
  signedDocument,
  signedWithdrawal,
  trust,
  VIN,
  type ImageBucket,
  type StoredImage,
} from "./support/documents.js";
import { directorKey, releaseKeys } from "../../uptane/support/repositories.js";

const TICK_MS = 60_000;

interface Run {
  memory: AgentMemory;
  reports: OtaReport[];
  installedVersion?: string;
  now: number;
}

/**
 * Ticks the agent every minute with the same document and vehicle until `ticks` have passed or a terminal
 * report, fetching the images it asks for from `bucket` with the real fetcher (as the adapter does).
 */
async function runAgent(
  document: PolledDocument | undefined,
  options: { vehicle?: VehicleFacts; env?: AgentEnvironment; memory?: AgentMemory; ticks?: number; start?: number; bucket?: ImageBucket } = {},
): Promise<Run> {
  const vehicle = options.vehicle ?? facts();
  const bucket = options.bucket ?? imageBucket();
  const env = options.env ?? environment();
  let memory = options.memory ?? initialMemory(vehicle.firmwareVersion, trust(), 6);
  const reports: OtaReport[] = [];
  let installedVersion: string | undefined;
  let now = options.start ?? NOW;
  for (let tick = 0; tick < (options.ticks ?? 60); tick++) {
    const wanted = imageFetchWanted(memory, vehicle, now);
    const fetched = wanted === undefined ? undefined : await fetchImages(bucket.s3, "data-lake", wanted);
    const step = stepAgent(memory, vehicle, now, document, env, fetched);
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

test("a valid document on a parked, charged, connected vehicle goes download → install → verify → SUCCEEDED", async () => {
  const run = await runAgent(polled(signedDocument()));
  assert.equal(statuses(run), ["DOWNLOADING", "INSTALLING", "VERIFYING", "SUCCEEDED"]);
  assert.is(run.installedVersion, "2.4.0");
  assert.is(run.memory.banks[run.memory.activeBank], "2.4.0");
  assert.is(run.memory.antiRollbackCounter, 7);
});

test("sequences of one job rise strictly with every report", async () => {
  const run = await runAgent(polled(signedDocument()));
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
  test(`${name} is REJECTED with reason ${kind} and changes nothing on the vehicle`, async () => {
    const run = await runAgent(polled(makeDocument()));
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
  test(`${name} is refused as ${kind} without a report, and changes nothing`, async () => {
    const run = await runAgent(polled(makeDocument()), { ticks: 5 });
    assert.equal(run.reports, []);
    assert.is(run.memory.lastRefusal?.kind, kind);
    assert.is(run.memory.job, undefined);
    assert.equal(run.memory.concluded, {});
  });
}

test("a forged attempt-999 document neither ends the genuine job nor stops it installing afterwards", async () => {
  const genuine = signedDocument();
  const started = await runAgent(polled(genuine), { vehicle: facts({ parked: false }), ticks: 2 });
  const forgedBody = signedDocument({ director: { custom: { attempt: 999 } } }) as { director: { signatures: unknown[] } };
  forgedBody.director.signatures = [];
  const forged = await runAgent(polled(forgedBody, "etag-forged"), { memory: started.memory, start: started.now, ticks: 3, vehicle: facts({ parked: false }) });
  assert.is(forged.memory.job?.job.attempt, 1, "the genuine job is still pending");
  assert.ok(forged.reports.every((report) => report.status !== "REJECTED"));
  const resumed = await runAgent(polled(genuine, "etag-genuine-again"), { memory: forged.memory, start: forged.now });
  assert.is(last(resumed)?.status, "SUCCEEDED");
  assert.is(resumed.installedVersion, "2.4.0");
});

test("a refused document is reported once, not on every poll", async () => {
  const document = polled(signedDocument({ image: { custom: { hardwareIds: ["hu-4"] } } }));
  const first = await runAgent(document);
  const again = await runAgent(document, { memory: first.memory, ticks: 5, start: first.now });
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
  test(`${name} defers the job (${reason}) instead of failing it`, async () => {
    const run = await runAgent(polled(signedDocument()), { vehicle: facts(vehicle), ticks: 3 });
    assert.equal(statuses(run), ["DEFERRED"]);
    assert.match(run.reports[0]?.reason ?? "", new RegExp(`^${reason}:`));
    assert.is(run.memory.job?.phase, "DEFERRED");
  });
}

test("a deferred job starts downloading once the preconditions hold", async () => {
  const document = polled(signedDocument());
  const driving = await runAgent(document, { vehicle: facts({ parked: false }), ticks: 2 });
  const parked = await runAgent(document, { memory: driving.memory, start: driving.now });
  assert.equal(statuses(driving), ["DEFERRED"]);
  assert.equal(statuses(parked), ["DOWNLOADING", "INSTALLING", "VERIFYING", "SUCCEEDED"]);
  assert.ok(parked.reports[0]!.sequence > driving.reports[0]!.sequence);
});

test("a deferred job re-reports its status at the heartbeat interval", async () => {
  const run = await runAgent(polled(signedDocument()), { vehicle: facts({ parked: false }), ticks: 11 });
  assert.equal(statuses(run), ["DEFERRED", "DEFERRED", "DEFERRED"]);
  assert.equal(run.reports.map((report) => report.sequence), [1, 2, 3]);
});

test("a deferred job whose document expires is REJECTED as expired", async () => {
  const document = polled(signedDocument({ director: { expires: NOW + 5 * TICK_MS } }));
  const run = await runAgent(document, { vehicle: facts({ parked: false }), ticks: 10 });
  assert.is(last(run)?.status, "REJECTED");
  assert.match(last(run)?.reason ?? "", /^EXPIRED:/);
});

test("a download over a weak link takes longer than over a good one", async () => {
  const preconditions = { requireParked: true, minStateOfChargePercent: 30, connectivity: [CONNECTIVITY_CLASS.Good, CONNECTIVITY_CLASS.Weak] };
  const document = polled(signedDocument({ director: { custom: { preconditions } } }));
  // The 1 MiB test image at 50 kB/s (good) and 5 kB/s (weak).
  const slow = () => environment({}, [0.5], { bytesPerSecond: { [CONNECTIVITY_CLASS.Good]: 50_000, [CONNECTIVITY_CLASS.Weak]: 5_000, [CONNECTIVITY_CLASS.Offline]: 0 } });
  const good = await runAgent(document, { ticks: 200, env: slow() });
  const weak = await runAgent(document, { vehicle: facts({ connectivity: CONNECTIVITY_CLASS.Weak }), ticks: 200, env: slow() });
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
  test(`${name} ends ${status} (${reason}) with the previous firmware still running`, async () => {
    const run = await runAgent(polled(signedDocument()), { env: environment(profile, [0]) });
    assert.is(last(run)?.status, status);
    assert.match(last(run)?.reason ?? "", new RegExp(`^${reason}:`));
    assert.is(run.installedVersion, undefined);
    assert.is(run.memory.banks[run.memory.activeBank], "2.3.0");
    assert.is(run.memory.antiRollbackCounter, 6);
  });
}

test("downloading fetches the image the verified targets name, once for the attempt, reading no more than its length + 1", async () => {
  const bucket = imageBucket();
  const run = await runAgent(polled(signedDocument()), { bucket });
  assert.equal(statuses(run), ["DOWNLOADING", "INSTALLING", "VERIFYING", "SUCCEEDED"]);
  assert.equal(bucket.requests, [{ Bucket: "data-lake", Key: IMAGE_KEY, Range: `bytes=0-${SIGNED_IMAGE.length}` }]);
  assert.is(bucket.bytesServed, SIGNED_IMAGE.length);
});

/** Bytes served under the signed key that are not the signed image: other content, shorter, longer, empty. */
const otherBytes = (): Array<[string, Uint8Array, RegExp]> => {
  const flipped = Uint8Array.from(IMAGE_BYTES);
  flipped[700_000] = flipped[700_000]! ^ 0x01;
  const longer = new Uint8Array(10 * IMAGE_BYTES.byteLength);
  longer.set(IMAGE_BYTES);
  return [
    ["the same length with one bit flipped", flipped, /^CORRUPT_IMAGE: firmware\/images\/[0-9a-f]{64}: image SHA-256 does not match the metadata; nothing installed$/],
    ["another image's bytes", Buffer.from("image of 2.4.0, but another build"), /^CORRUPT_IMAGE: .*image is 33 bytes, metadata says 1048576/],
    ["the signed image one byte short", IMAGE_BYTES.subarray(0, IMAGE_BYTES.byteLength - 1), /^CORRUPT_IMAGE: .*image is 1048575 bytes, metadata says 1048576/],
    ["the signed image with 9 MiB appended", longer, /^CORRUPT_IMAGE: .*image is longer than the 1048576 bytes the metadata says/],
    ["an empty object", new Uint8Array(0), /^CORRUPT_IMAGE: .*image is 0 bytes/],
  ];
};

for (const [name, bytes, reason] of otherBytes()) {
  test(`an image object holding ${name} ends FAILED (CORRUPT_IMAGE): nothing installed, the banks unchanged`, async () => {
    const bucket = imageBucket({ [IMAGE_KEY]: bytes });
    const run = await runAgent(polled(signedDocument()), { bucket });
    assert.equal(statuses(run), ["DOWNLOADING", "FAILED"]);
    assert.match(last(run)?.reason ?? "", reason);
    assert.is(run.installedVersion, undefined);
    assert.equal(run.memory.banks, { [BANK.A]: "2.3.0" });
    assert.is(run.memory.activeBank, BANK.A);
    assert.is(run.memory.antiRollbackCounter, 6);
    assert.is(run.memory.job, undefined);
    assert.is(bucket.requests.length, 1);
    assert.ok(bucket.bytesServed <= SIGNED_IMAGE.length + 65_536, `read ${bucket.bytesServed} bytes of a ${bytes.byteLength}-byte object`);
  });
}

test("the injected corrupt-download fault flips a byte of the fetched image: the hash check fails it, after a real fetch", async () => {
  const bucket = imageBucket();
  const run = await runAgent(polled(signedDocument()), { bucket, env: environment({ corruptDownload: 1 }, [0, 0.7]) });
  assert.equal(statuses(run), ["DOWNLOADING", "FAILED"]);
  assert.match(last(run)?.reason ?? "", /^CORRUPT_IMAGE: .*SHA-256 does not match/);
  assert.is(bucket.requests.length, 1);
  assert.equal(run.memory.banks, { [BANK.A]: "2.3.0" });
});

const fetchFailures: Array<[string, StoredImage, number, RegExp]> = [
  ["a missing image (404)", s3Error("NoSuchKey", 404), 1, /^DOWNLOAD_FAILED: GET firmware\/images\/[0-9a-f]{64} failed: 404 NoSuchKey: .*\(fetch 1 of at most 3\); nothing installed$/],
  ["an image the vehicle may not read (403)", s3Error("AccessDenied", 403), 1, /^DOWNLOAD_FAILED: .*403 AccessDenied/],
  ["an image that fails on every try (503)", s3Error("SlowDown", 503), IMAGE_FETCH_TRIES, /^DOWNLOAD_FAILED: .*503 SlowDown.*\(fetch 3 of at most 3\)/],
  ["a network error on every try", Object.assign(new Error("socket hang up"), { name: "TimeoutError" }), IMAGE_FETCH_TRIES, /^DOWNLOAD_FAILED: .*TimeoutError: socket hang up/],
];

for (const [name, stored, fetches, reason] of fetchFailures) {
  test(`${name} ends FAILED (DOWNLOAD_FAILED) after ${fetches} fetch(es), nothing installed`, async () => {
    const bucket = imageBucket({ [IMAGE_KEY]: stored });
    const run = await runAgent(polled(signedDocument()), { bucket });
    assert.equal(statuses(run), ["DOWNLOADING", "FAILED"]);
    assert.match(last(run)?.reason ?? "", reason);
    assert.is(bucket.requests.length, fetches);
    assert.is(run.installedVersion, undefined);
    assert.equal(run.memory.banks, { [BANK.A]: "2.3.0" });
  });
}

test("a transient fetch failure is fetched again on the next tick and then installs", async () => {
  const bucket = imageBucket({ [IMAGE_KEY]: [s3Error("InternalError", 500), IMAGE_BYTES] });
  const run = await runAgent(polled(signedDocument()), { bucket });
  assert.equal(statuses(run), ["DOWNLOADING", "INSTALLING", "VERIFYING", "SUCCEEDED"]);
  assert.is(bucket.requests.length, 2);
  assert.is(run.installedVersion, "2.4.0");
});

test("an offline vehicle does not fetch while downloading; back online it fetches and installs", async () => {
  const bucket = imageBucket();
  const started = await runAgent(polled(signedDocument()), { bucket, ticks: 1 });
  const offline = await runAgent(undefined, { bucket, memory: started.memory, start: started.now, ticks: 5, vehicle: facts({ connectivity: CONNECTIVITY_CLASS.Offline }) });
  const online = await runAgent(undefined, { bucket, memory: offline.memory, start: offline.now });
  assert.equal(statuses(started), ["DOWNLOADING"]);
  assert.is(offline.memory.job?.phase, "DOWNLOADING");
  assert.equal(statuses(online), ["INSTALLING", "VERIFYING", "SUCCEEDED"]);
  assert.is(bucket.requests.length, 1);
});

test("a fetch result for another attempt, or an earlier fetch, is ignored", async () => {
  const started = await runAgent(polled(signedDocument()), { ticks: 1 });
  const wanted = imageFetchWanted(started.memory, facts(), started.now)!;
  const stale = { jobId: wanted.jobId, attempt: wanted.attempt + 1, fetch: wanted.fetch, ok: false as const, reason: "stale", transient: false };
  const step = stepAgent(started.memory, facts(), started.now, undefined, environment(), stale);
  assert.is(step.report, undefined);
  assert.is(step.memory.job?.phase, "DOWNLOADING");
  assert.equal(imageFetchWanted(step.memory, facts(), started.now), wanted);
});

test("a fault drawn above its probability does not happen", async () => {
  const run = await runAgent(polled(signedDocument()), { env: environment({ installFailure: 0.02, powerLoss: 0.02 }, [0.5]) });
  assert.is(last(run)?.status, "SUCCEEDED");
});

test("a retry (same job, next attempt) runs again and its sequence continues above the failed attempt", async () => {
  const failed = await runAgent(polled(signedDocument()), { env: environment({ installFailure: 1 }, [0]) });
  const retry = await runAgent(polled(signedDocument({ director: { custom: { attempt: 2 } } }), "etag-2"), { memory: failed.memory, start: failed.now });
  assert.is(last(failed)?.status, "FAILED");
  assert.is(last(retry)?.status, "SUCCEEDED");
  assert.ok(retry.reports[0]!.sequence > last(failed)!.sequence);
});

test("the same attempt, polled again after it finished, is not run twice", async () => {
  const done = await runAgent(polled(signedDocument()));
  const again = await runAgent(polled(signedDocument({ director: { custom: {} } }), "etag-rewritten"), { memory: done.memory, start: done.now, ticks: 5 });
  assert.is(last(done)?.status, "SUCCEEDED");
  assert.is(again.reports.length, 0);
});

test("a vehicle that already runs the target confirms SUCCEEDED instead of refusing a downgrade", async () => {
  const run = await runAgent(polled(signedDocument()), { vehicle: facts({ firmwareVersion: "2.4.0" }) });
  assert.equal(statuses(run), ["SUCCEEDED"]);
});

test("a signed withdrawal while deferred drops the job without a report; the withdrawn document put back is refused as REPLAY", async () => {
  const original = signedDocument();
  const deferred = await runAgent(polled(original), { vehicle: facts({ parked: false }), ticks: 1 });
  const withdrawn = await runAgent(polled(signedWithdrawal(), "etag-withdrawal"), { memory: deferred.memory, start: deferred.now, ticks: 3 });
  assert.ok(deferred.memory.job);
  assert.is(withdrawn.memory.job, undefined);
  assert.is(withdrawn.reports.length, 0);
  const replayed = await runAgent(polled(original, "etag-replayed"), { memory: withdrawn.memory, start: withdrawn.now });
  assert.equal(replayed.reports, []);
  assert.is(replayed.memory.lastRefusal?.kind, "REPLAY");
  assert.is(replayed.installedVersion, undefined);
});

test("a document that disappears (deleted, not withdrawn) changes nothing: the pending job stays", async () => {
  const deferred = await runAgent(polled(signedDocument()), { vehicle: facts({ parked: false }), ticks: 1 });
  const gone = await runAgent({ tag: "absent", body: undefined }, { memory: deferred.memory, start: deferred.now, ticks: 3, vehicle: facts({ parked: false }) });
  assert.ok(gone.memory.job);
});

test("an older attempt's document after a newer one is refused as REPLAY", async () => {
  const older = signedDocument();
  const newer = signedDocument({ director: { custom: { attempt: 2 } } });
  const pending = await runAgent(polled(newer), { vehicle: facts({ parked: false }), ticks: 1 });
  const replay = await runAgent(polled(older, "etag-older"), { memory: pending.memory, start: pending.now, ticks: 2, vehicle: facts({ parked: false }) });
  assert.is(replay.memory.job?.job.attempt, 2);
  assert.is(replay.memory.lastRefusal?.kind, "REPLAY");
});

test("unmetPrecondition names nothing when every precondition holds", async () => {
  const preconditions = { requireParked: true, minStateOfChargePercent: 30, connectivity: [CONNECTIVITY_CLASS.Good] };
  assert.is(unmetPrecondition(preconditions, facts()), undefined);
  assert.is(unmetPrecondition({ ...preconditions, requireParked: false }, facts({ parked: false })), undefined);
});

test.run();
