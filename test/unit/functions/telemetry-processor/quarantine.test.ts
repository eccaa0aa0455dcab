import { test } from "uvu";
import * as assert from "uvu/assert";
import { vehicleTelemetryKey } from "../../../../contracts/telemetry-keys.js";
import type { ObjectRef } from "../../../../contracts/telemetry-events.js";
import { OUTSIDE_LAYOUT, QUARANTINE_PREFIX, quarantinedObjectKey, rejectedRecordsKey } from "../../../../functions/telemetry-processor/quarantine.js";

const AT_MS = Date.UTC(2026, 10, 26, 17, 35);
const objectAt = (key: string): ObjectRef => ({ bucket: "lake", key, etag: "e1", size: 10, createdAtMs: AT_MS });

test("quarantine keys mirror the source's uploader and partition and carry the etag", () => {
  const object = objectAt(vehicleTelemetryKey("1HGCM82633A004352", AT_MS, "1"));
  const path = "vehicle/1HGCM82633A004352/dt=2026-11-26/hour=17/20261126T173500000Z-1.ndjson.gz";
  assert.is(rejectedRecordsKey(object), `quarantine/records/${path}.e1.ndjson`);
  assert.is(quarantinedObjectKey(object), `quarantine/objects/${path}.e1`);
});

const outside: Array<[string, string]> = [
  ["the old flat layout", "telemetry/dt=2026-11-26/hour=17/a.ndjson.gz"],
  ["dot-dot segments that climb out of a download folder", "telemetry/../../../home/operator/.bashrc"],
  ["a key near S3's 1,024-byte limit", `telemetry/vehicle/${"A".repeat(1_000)}`],
  ["control characters", "telemetry/vehicle/\u001b[2J/x"],
];

for (const [name, key] of outside) {
  test(`a key outside the layout is quarantined under its hash: ${name}`, () => {
    const quarantined = quarantinedObjectKey(objectAt(key));
    assert.match(quarantined, new RegExp(`^${QUARANTINE_PREFIX.Objects}${OUTSIDE_LAYOUT}[0-9a-f]{40}\\.e1$`));
    assert.not.ok(quarantined.includes(".."));
  });
}

test("two different bad keys never share a quarantine key", () => {
  assert.is.not(quarantinedObjectKey(objectAt("telemetry/a")), quarantinedObjectKey(objectAt("telemetry/b")));
});

test.run();
