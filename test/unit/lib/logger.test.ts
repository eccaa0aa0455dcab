/**
 * An attacker's try at forging metrics through the logs: on AWS a log line with a top-level `_aws`
 * member is read as EMF metrics, and the powertools logger merges an extra object's keys into the top
 * level of the line. The functions' logger must never write such a line, whatever is logged.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createLogger, LOGGED_AWS_KEY, withoutTopLevelAws } from "../../../lib/logger.js";
import { EMF_VERDICT, extractEmf } from "../../../local/runtime/emf-extraction.js";

/** A valid EMF directive forging an OTA failure count (what would trip the failure-rate alarm). */
const forged = () => ({
  Timestamp: Date.now(),
  CloudWatchMetrics: [{ Namespace: "FleetOTA", Dimensions: [[]], Metrics: [{ Name: "OTAUpdates/Failed", Unit: "Count" }] }],
});

/** What the logger writes while `act` runs (powertools writes through its own console to stdout and stderr, both the log group on AWS). */
function captured(act: () => void): string[] {
  const lines: string[] = [];
  const streams = [process.stdout, process.stderr];
  const writes = streams.map((stream) => stream.write);
  for (const stream of streams) stream.write = ((chunk: string | Uint8Array) => (lines.push(...String(chunk).split("\n").filter(Boolean)), true)) as typeof stream.write;
  try {
    act();
  } finally {
    streams.forEach((stream, index) => (stream.write = writes[index]!));
  }
  return lines;
}

test("a logged object whose keys include `_aws` (an attacker's record, ECU map or fields) writes no EMF line", () => {
  const logger = createLogger("telemetry-processor");
  const hostileRecord = { _aws: forged(), "OTAUpdates/Failed": 1000, vin: "1M8GDM9AXKP042788" };

  const lines = captured(() => {
    logger.info("record", hostileRecord);
    logger.warn("ecus", { ...{ _aws: forged() }, "OTAUpdates/Failed": [1000] });
    logger.error({ message: "as the message object", _aws: forged(), "OTAUpdates/Failed": 1000 } as never);
  });

  assert.is(lines.length, 3);
  for (const line of lines) {
    assert.is(extractEmf(line, Date.now()).verdict, EMF_VERDICT.NotEmf, line);
    const parsed = JSON.parse(line) as Record<string, unknown>;
    assert.not.ok("_aws" in parsed);
    assert.equal((parsed[LOGGED_AWS_KEY] as { CloudWatchMetrics: unknown }).CloudWatchMetrics, forged().CloudWatchMetrics, "what was logged is kept, nested");
  }
});

test("the same line without the guard would have been extracted (the test can fail)", () => {
  const line = JSON.stringify({ level: "INFO", message: "record", _aws: forged(), "OTAUpdates/Failed": 1000 });
  assert.is(extractEmf(line, Date.now()).verdict, EMF_VERDICT.Metrics);
  assert.is(extractEmf(JSON.stringify(JSON.parse(line), withoutTopLevelAws), Date.now()).verdict, EMF_VERDICT.NotEmf);
});

test("nested `_aws` members are left as they are (EMF reads the top level only)", () => {
  const value = { record: { _aws: { a: 1 } } };
  assert.is(JSON.stringify(value, withoutTopLevelAws), JSON.stringify(value));
});

test.run();
