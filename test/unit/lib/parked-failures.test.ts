import { GetObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { METRIC } from "../../../contracts/metrics.js";
import { PARKED_SOURCE, parkedFailureKey } from "../../../contracts/parked-failure.js";
import {
  COUNTED_KEYS_KEPT,
  CountedParkBatch,
  listParkedFailures,
  MAX_PARKED_MESSAGE_CHARS,
  MixedCountedRecordsError,
  ParkedCountConflictError,
  parkCountedRecord,
  parkCountedRecords,
  parkedFailure,
  parkedFailureId,
  ParkedTally,
  PARKED_REASON,
} from "../../../lib/parked-failures.js";
import { recordingS3 } from "./support/recording-s3.js";
import { parkedBucket } from "./support/parked-bucket.js";

const at = new Date("2026-12-01T19:30:00.000Z");
const input = (overrides: Partial<Parameters<typeof parkedFailure>[0]> = {}) => ({
  source: PARKED_SOURCE.TelemetryProcessor,
  identity: ["fleet-data", "telemetry/a.ndjson.gz", "e1"],
  reason: PARKED_REASON.ObjectMissing,
  detail: "s3://fleet-data/telemetry/a.ndjson.gz no longer exists",
  message: '{"detail-type":"Object Created"}',
  at,
  ...overrides,
});

const record = suite("parkedFailure");

record("the id is stable for one identity and differs between identities and sources", () => {
  assert.is(parkedFailure(input()).id, parkedFailure(input({ at: new Date("2026-12-02T00:00:00Z") })).id);
  assert.is.not(parkedFailure(input()).id, parkedFailure(input({ identity: ["fleet-data", "telemetry/a.ndjson.gz", "e2"] })).id);
  assert.is.not(parkedFailure(input()).id, parkedFailure(input({ source: PARKED_SOURCE.UpdateManager })).id);
  assert.match(parkedFailureId("a"), /^[0-9a-f]{32}$/);
});

record("identity parts cannot be shifted into each other", () => {
  assert.is.not(parkedFailureId("ab", "c"), parkedFailureId("a", "bc"));
});

record("the record lands under parked/<source>/<day>/<id>.json", () => {
  const failure = parkedFailure(input());
  assert.is(parkedFailureKey(failure), `parked/telemetry-processor/2026-12-01/${failure.id}.json`);
  assert.is(failure.parkedAt, at.toISOString());
});

record("the detail is one line with no control or escape characters", () => {
  const failure = parkedFailure(input({ detail: "bad\nline\u001b[31m red\u0007\u2028end" }));
  assert.not.match(failure.detail, /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/);
  assert.is(failure.detail, "bad line [31m red  end");
});

record("the message is cut to 16 KiB; a short one is kept whole", () => {
  assert.is(parkedFailure(input({ message: "x".repeat(MAX_PARKED_MESSAGE_CHARS + 10) })).message.length, MAX_PARKED_MESSAGE_CHARS);
  assert.is(parkedFailure(input()).message, '{"detail-type":"Object Created"}');
});

record("the remedy is present only when given", () => {
  assert.not.ok("remedy" in parkedFailure(input()));
  assert.is(parkedFailure(input({ remedy: "fleetota parked" })).remedy, "fleetota parked");
});

record.run();

const tally = suite("ParkedTally");

tally("counts by source and reason, one datum per pair, with the Source and Reason dimensions", () => {
  const parked = new ParkedTally();
  parked.add(PARKED_SOURCE.TelemetryProcessor, PARKED_REASON.ObjectMissing);
  parked.add(PARKED_SOURCE.TelemetryProcessor, PARKED_REASON.ObjectMissing);
  parked.add(PARKED_SOURCE.UpdateManager, PARKED_REASON.InvalidUpdateMessage);
  const data = parked.metricData(at);
  assert.is(parked.total, 3);
  assert.equal(parked.byReason(), { "object-missing": 2, "invalid-update-message": 1 });
  assert.is(data.length, 2);
  assert.ok(data.every((datum) => datum.MetricName === METRIC.MessagesParked && datum.Unit === "Count"));
  assert.equal(data[0]!.Dimensions, [
    { Name: "Source", Value: "telemetry-processor" },
    { Name: "Reason", Value: "object-missing" },
  ]);
  assert.is(data[0]!.Value, 2);
});

tally("an empty tally has no data", () => {
  assert.equal(new ParkedTally().metricData(at), []);
  assert.is(new ParkedTally().total, 0);
});

tally.run();

const counted = suite("parkCountedRecord");

counted("one record counts many messages: concurrent writers each count once (conditional on the ETag read), a redelivery not at all", async () => {
  const { s3, puts } = recordingS3();
  const failure = parkedFailure(input({ identity: ["status-report", "V", "other-vehicle", "c-1", "2026-12-01"] }));

  assert.is(await parkCountedRecord(s3, "data", failure, "k-1"), "written");
  const results = await Promise.all(["k-2", "k-3", "k-4"].map((key) => parkCountedRecord(s3, "data", failure, key)));
  assert.is(await parkCountedRecord(s3, "data", failure, "k-3"), "already-parked");

  assert.equal(results, ["counted", "counted", "counted"]);
  const [stored] = [...puts.values()].map((body) => JSON.parse(body) as { count: number; recentKeys: string[]; message: string });
  assert.is(puts.size, 1);
  assert.is(stored?.count, 4);
  assert.is(stored?.recentKeys.length, 4);
  assert.is(stored?.message, failure.message);
});

counted("the record remembers only the latest keys, so it stays small however many messages it counts", async () => {
  const { s3, puts } = recordingS3();
  const failure = parkedFailure(input({ identity: ["status-report", "V", "unknown-job", "c-1", "2026-12-01"] }));
  for (let index = 0; index < COUNTED_KEYS_KEPT + 20; index++) await parkCountedRecord(s3, "data", failure, `k-${index}`);
  const stored = JSON.parse([...puts.values()][0]!) as { count: number; recentKeys: string[] };
  assert.equal([stored.count, stored.recentKeys.length], [COUNTED_KEYS_KEPT + 20, COUNTED_KEYS_KEPT]);
});

/** The recording S3 with each call taking 1-4 turns of the event loop (seeded), like round trips of varying length. */
function slowS3(): S3Client {
  const { s3 } = recordingS3();
  let state = 12_345;
  return {
    send: async (command: unknown) => {
      state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
      for (let turn = 0; turn <= state % 4; turn++) await new Promise<void>((resolve) => setImmediate(resolve));
      return (s3.send as (command: unknown) => Promise<unknown>)(command);
    },
  } as unknown as S3Client;
}

counted("review 19 (R19-P1): one vehicle's junk reports parked by 5 concurrent invocations all count; none loses every race (43 of 200 did, each retried toward the DLQ)", async () => {
  const s3 = slowS3();
  const failure = parkedFailure(input({ identity: ["status-report", "1HGCM82633A004352", "sequence-jump", "2026-12-03"], reason: "sequence-jump" }));
  const outcomes: string[] = [];
  const invocation = async (worker: number) => {
    for (let index = 0; index < 40; index++) {
      outcomes.push(await parkCountedRecord(s3, "data", failure, `report-${worker}-${index}`).catch((error: Error) => error.name));
    }
  };
  await Promise.all(Array.from({ length: 5 }, (_, worker) => invocation(worker)));
  assert.equal(outcomes.filter((outcome) => outcome !== "counted" && outcome !== "written"), []);
  const stored = (await s3.send(new GetObjectCommand({ Bucket: "data", Key: parkedFailureKey(failure) }))) as { Body: { transformToString(): Promise<string> } };
  assert.is((JSON.parse(await stored.Body.transformToString()) as { count: number }).count, 200);
});

/**
 * The recording S3 where a rival writes the record again (unchanged, a new ETag) just before each of the first
 * `losses` conditional rewrites, so each loses (412); the requests are counted by kind.
 */
function contendedS3(losses: number) {
  const { s3, puts } = recordingS3();
  const send = s3.send as (command: unknown) => Promise<unknown>;
  const requests = { create: 0, read: 0, rewrite: 0 };
  let lost = 0;
  const contended = {
    send: async (command: unknown) => {
      if (command instanceof GetObjectCommand) requests.read++;
      else if (command instanceof PutObjectCommand && command.input.IfNoneMatch !== undefined) requests.create++;
      else if (command instanceof PutObjectCommand && command.input.IfMatch !== undefined) {
        requests.rewrite++;
        const { Bucket, Key } = command.input;
        if (lost++ < losses) await send(new PutObjectCommand({ Bucket, Key, Body: puts.get(Key!) })); // the same record, a new ETag
      }
      return send(command);
    },
  } as unknown as S3Client;
  return { s3: contended, puts, requests };
}

/** A wait that returns at once, remembering each wait asked for. */
function countedWaits() {
  const waits: number[] = [];
  return { waits, wait: async (ms: number) => void waits.push(ms) };
}

counted("a writer that loses every race waits between tries but not after the last, and never sends a create for a record it read (f08f568 waited 8 times and created 8 times)", async () => {
  const { s3, requests } = contendedS3(Number.POSITIVE_INFINITY);
  const failure = parkedFailure(input({ identity: ["status-report", "1HGCM82633A004352", "sequence-jump", "2026-12-03"], reason: "sequence-jump" }));
  await parkCountedRecord(s3, "data", failure, "first");
  Object.assign(requests, { create: 0, read: 0, rewrite: 0 });
  const { waits, wait } = countedWaits();

  const outcome = await parkCountedRecord(s3, "data", failure, "second", { wait }).catch((error: Error) => error);

  assert.instance(outcome, ParkedCountConflictError);
  assert.is(waits.length, 7, "a wait between each two of the 8 tries, none before giving up");
  waits.forEach((ms, index) => assert.ok(ms >= 0 && ms <= 10 * 2 ** index, `wait ${index} of ${ms} ms`));
  assert.equal(requests, { create: 0, read: 8, rewrite: 8 }, "the record read first, each try reads and rewrites only");
});

counted("a writer that loses twice then wins counts the message once, after 2 waits and no create", async () => {
  const { s3, puts, requests } = contendedS3(2);
  const failure = parkedFailure(input({ identity: ["status-report", "1HGCM82633A004352", "unknown-attempt", "2026-12-03"], reason: "unknown-attempt" }));
  await parkCountedRecord(s3, "data", failure, "first");
  Object.assign(requests, { create: 0, read: 0, rewrite: 0 });
  const { waits, wait } = countedWaits();

  assert.is(await parkCountedRecord(s3, "data", failure, "second", { wait }), "counted");
  assert.is(waits.length, 2);
  assert.equal(requests, { create: 0, read: 3, rewrite: 3 });
  assert.is((JSON.parse([...puts.values()][0]!) as { count: number }).count, 2);
});

counted("the first message reads (404) and writes the record without waiting; a redelivery reads it and changes nothing", async () => {
  const { s3, requests } = contendedS3(0);
  const failure = parkedFailure(input({ identity: ["status-report", "1HGCM82633A004352", "older-attempt", "2026-12-03"], reason: "older-attempt" }));
  const { waits, wait } = countedWaits();

  assert.is(await parkCountedRecord(s3, "data", failure, "only", { wait }), "written");
  assert.is(await parkCountedRecord(s3, "data", failure, "only", { wait }), "already-parked");
  assert.equal([waits.length, requests], [0, { create: 1, read: 2, rewrite: 0 }]);
});

counted("a batch's messages of one record: one read and one write count them all, each key once, keeping the first and the last; a redelivered batch reads only", async () => {
  const { s3, puts, requests } = contendedS3(0);
  const of = (n: number) => parkedFailure(input({ identity: ["status-report", "1HGCM82633A004352", "unknown-job", "2026-12-03"], reason: "unknown-job", detail: `report ${n}`, message: `{"n":${n}}` }));
  const parks = [1, 2, 3, 2, 4].map((n) => ({ failure: of(n), messageKey: `k-${n}` }));

  assert.equal(await parkCountedRecords(s3, "data", parks), { result: "written", counted: 4 });
  assert.equal(await parkCountedRecords(s3, "data", [...parks, { failure: of(5), messageKey: "k-5" }]), { result: "counted", counted: 1 });
  assert.equal(await parkCountedRecords(s3, "data", parks), { result: "already-parked", counted: 0 });

  assert.equal(requests, { create: 1, read: 3, rewrite: 1 });
  const stored = JSON.parse([...puts.values()][0]!) as { count: number; detail: string; message: string; lastDetail: string; lastMessage: string; recentKeys: string[] };
  assert.equal([stored.count, stored.recentKeys.length], [5, 5]);
  assert.equal([stored.detail, stored.message, stored.lastDetail, stored.lastMessage], ["report 1", '{"n":1}', "report 5", '{"n":5}']);
});

counted("parks of two records are not written as one", async () => {
  const { s3 } = recordingS3();
  const one = parkedFailure(input({ identity: ["status-report", "1HGCM82633A004352", "unknown-job", "2026-12-03"] }));
  const other = parkedFailure(input({ identity: ["status-report", "1M8GDM9AXKP042788", "unknown-job", "2026-12-03"] }));
  const outcome = await parkCountedRecords(s3, "data", [{ failure: one, messageKey: "a" }, { failure: other, messageKey: "b" }]).catch((error: Error) => error);
  assert.instance(outcome, MixedCountedRecordsError);
});

counted("CountedParkBatch writes each record once, counts what each counted, and returns the owners of a record it could not write, and only those", async () => {
  const { s3: inner, puts } = recordingS3();
  const failing = parkedFailure(input({ source: PARKED_SOURCE.UpdateManager, identity: ["status-report", "1M8GDM9AXKP042788", "unknown-job", "2026-12-03"], reason: "unknown-job" }));
  const s3 = {
    send: async (command: unknown) => {
      if (command instanceof PutObjectCommand && command.input.Key === parkedFailureKey(failing)) throw new Error("SlowDown: please reduce your request rate");
      return (inner.send as (command: unknown) => Promise<unknown>)(command);
    },
  } as unknown as S3Client;
  const tally = new ParkedTally();
  const kept = parkedFailure(input({ source: PARKED_SOURCE.UpdateManager, identity: ["status-report", "1HGCM82633A004352", "unknown-job", "2026-12-03"], reason: "unknown-job" }));
  const gathered = new CountedParkBatch<string>();
  for (let index = 0; index < 6; index++) gathered.add(`m-${index}`, index % 3 === 1 ? failing : kept, `k-${index}`);

  const flushed = await gathered.flush({ s3, bucket: "data", tally }, { wait: async () => {} });

  const failed = flushed.filter(({ outcome }) => "error" in outcome).flatMap(({ owners }) => owners);
  assert.equal(failed, ["m-1", "m-4"]);
  assert.equal(flushed.find(({ key }) => key === parkedFailureKey(kept))?.outcome, { result: "written", counted: 4 });
  assert.equal(tally.byReason(), { "unknown-job": 4 }, "the unwritten record's messages are not counted");
  assert.equal([...puts.keys()], [parkedFailureKey(kept)]);
  assert.is(gathered.size, 0, "a flush starts over");
});

counted.run();

const listing = suite("listParkedFailures");

listing("with a page bound, an old flood of parked objects costs at most the bound in listings: the newest days come first", async () => {
  const bucket = parkedBucket({ "2026-11-20": { "update-manager": 30_000 }, "2026-12-01": { "update-manager": 3, "telemetry-processor": 5 } });

  const newest = await listParkedFailures(bucket.s3, "data", { limit: 200, maxListPages: 10 });

  assert.is(newest.length, 200, "filled up to the limit from the older day");
  assert.ok(newest.slice(0, 8).every((failure) => failure.parkedAt.startsWith("2026-12-01")), "the newest day first");
  assert.ok(bucket.lists() <= 10, `${bucket.lists()} listings`);
  const all = parkedBucket({ "2026-11-20": { "update-manager": 30_000 }, "2026-12-01": { "update-manager": 3, "telemetry-processor": 5 } });
  assert.is((await listParkedFailures(all.s3, "data", { limit: 200 })).length, 200, "without a bound every key is listed (fleetota parked --all)");
  assert.ok(all.lists() >= 30, `${all.lists()} listings without a bound`);
});

listing("with a page bound, a flood on the newest day stops at the bound and still returns up to the limit", async () => {
  const bucket = parkedBucket({ "2026-12-01": { "update-manager": 30_000 }, "2026-11-30": { "telemetry-processor": 4 } });

  const newest = await listParkedFailures(bucket.s3, "data", { limit: 200, maxListPages: 10 });

  assert.is(newest.length, 200);
  assert.is(bucket.lists(), 10);
  assert.is(bucket.gets(), 200);
});

listing("one source, bounded: only its days are listed", async () => {
  const bucket = parkedBucket({ "2026-12-01": { "update-manager": 2, "telemetry-processor": 3 }, "2026-11-29": { "update-manager": 1 } });
  const failures = await listParkedFailures(bucket.s3, "data", { source: PARKED_SOURCE.UpdateManager, limit: 200, maxListPages: 10 });
  assert.equal(failures.map((failure) => [failure.source, failure.parkedAt.slice(0, 10)]), [["update-manager", "2026-12-01"], ["update-manager", "2026-12-01"], ["update-manager", "2026-11-29"]]);
});

listing.run();
