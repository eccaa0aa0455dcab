import { test } from "uvu";
import * as assert from "uvu/assert";
import { InvalidUpdateMessageError, parseUpdateRecord } from "../../../functions/update-manager/process.js";

const record = (body: string) => ({ messageId: "m-1", body });

function errorOf(body: string): InvalidUpdateMessageError | undefined {
  try {
    parseUpdateRecord(record(body));
    return undefined;
  } catch (error) {
    return error as InvalidUpdateMessageError;
  }
}

test("a valid status report parses", () => {
  const message = parseUpdateRecord(
    record(JSON.stringify({
      kind: "status-report",
      idempotencyKey: "c-1:1HGCM82633A004352#1#3",
      vin: "1HGCM82633A004352",
      campaignId: "c-1",
      jobId: "c-1:1HGCM82633A004352",
      attempt: 1,
      sequence: 3,
      status: "INSTALLING",
      firmwareVersion: "2.3.1",
      reportedAt: "2026-11-26T18:00:00Z",
    })),
  );
  assert.is(message.kind, "status-report");
});

test("a body that is not JSON is refused with a typed error naming the message", () => {
  const error = errorOf("{nope");
  assert.instance(error, InvalidUpdateMessageError);
  assert.match(error!.message, /update message m-1 is invalid: body is not JSON/);
});

test("a message with bad fields is refused naming each field", () => {
  const error = errorOf(JSON.stringify({ kind: "command", idempotencyKey: "k", command: "explode", campaignId: "c-1", requestedAt: "now" }));
  assert.match(error!.message, /command: /);
  assert.match(error!.message, /requestedBy: /);
});

test("an unknown kind is refused", () => {
  assert.match(errorOf(JSON.stringify({ kind: "telemetry" }))!.message, /kind: /);
});

test.run();
