import { test } from "uvu";
import * as assert from "uvu/assert";
import { InvalidEventError, parseQueueMessage } from "../../../contracts/telemetry-events.js";

function objectCreatedEvent(object: Record<string, unknown>, detailType = "Object Created"): string {
  return JSON.stringify({
    version: "0",
    id: "17793124-05d4-b198-2fde-7ededc63b103",
    "detail-type": detailType,
    source: "aws.s3",
    time: "2026-11-26T17:35:00Z",
    detail: { version: "0", bucket: { name: "lake" }, object: { key: "telemetry/dt=2026-11-26/hour=17/a.ndjson.gz", size: 1843, ...object } },
  });
}

test("the AWS spelling etag and moto's eTag both give the object identity, quotes stripped", () => {
  for (const spelling of ["etag", "eTag"]) {
    const parsed = parseQueueMessage(objectCreatedEvent({ [spelling]: "\"9b2cf535f27731c974343645a3985328\"" }));
    assert.equal(parsed, {
      kind: "object",
      object: {
        bucket: "lake",
        key: "telemetry/dt=2026-11-26/hour=17/a.ndjson.gz",
        etag: "9b2cf535f27731c974343645a3985328",
        size: 1843,
        createdAtMs: Date.UTC(2026, 10, 26, 17, 35),
      },
    });
  }
});

test("the event's version-id is the version to read; a missing, empty or `null` one (an unversioned bucket) is absent", () => {
  const versionOf = (object: Record<string, unknown>) => {
    const parsed = parseQueueMessage(objectCreatedEvent({ etag: "e", ...object }));
    return parsed.kind === "object" ? parsed.object.versionId : "not an object";
  };
  assert.is(versionOf({ "version-id": "3HL4kqtJlcpXroDTDmJ-rmSpXd3dIbrHY" }), "3HL4kqtJlcpXroDTDmJ-rmSpXd3dIbrHY");
  for (const absent of [{}, { "version-id": "" }, { "version-id": "null" }, { "version-id": null }, { "version-id": 7 }]) {
    assert.is(versionOf(absent), undefined, JSON.stringify(absent));
  }
});

test("Object Tags Added (moto sends one per PutObject) is ignored", () => {
  assert.equal(parseQueueMessage(objectCreatedEvent({ etag: "e" }, "Object Tags Added")), { kind: "ignored", detailType: "Object Tags Added" });
});

test("a body that is not an S3 event is an InvalidEventError naming what is missing", () => {
  assert.throws(() => parseQueueMessage("hello"), (error: unknown) => error instanceof InvalidEventError && /not JSON/.test((error as Error).message));
  assert.throws(() => parseQueueMessage("{}"), (error: unknown) => error instanceof InvalidEventError && /detail-type/.test((error as Error).message));
  assert.throws(() => parseQueueMessage(objectCreatedEvent({})), (error: unknown) => /etag/.test((error as Error).message));
});

test.run();
