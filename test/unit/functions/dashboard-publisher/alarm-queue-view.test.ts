import { test } from "uvu";
import * as assert from "uvu/assert";
import { shapeAlarms, toAlarmState } from "../../../../functions/dashboard-publisher/alarm-view.js";
import { QUEUE_ROLE } from "../../../../contracts/dashboard-documents.js";
import { queueNameFromUrl, shapeQueues } from "../../../../functions/dashboard-publisher/queue-view.js";
import { compositeAlarm, metricAlarm, queueReading } from "./support/factories.js";

const now = new Date("2026-11-26T18:00:00.000Z");

test("puts alarms in ALARM first and counts each state", () => {
  const doc = shapeAlarms(
    [metricAlarm({ AlarmName: "a-ok" }), metricAlarm({ AlarmName: "b-firing", StateValue: "ALARM" }), metricAlarm({ AlarmName: "c-new", StateValue: "INSUFFICIENT_DATA" })],
    [compositeAlarm({ AlarmName: "d-composite", StateValue: "ALARM" })],
    now,
  );

  assert.equal(doc.alarms.map((alarm) => alarm.name), ["b-firing", "d-composite", "c-new", "a-ok"]);
  assert.equal(doc.counts, { ALARM: 2, OK: 1, INSUFFICIENT_DATA: 1 });
});

test("names the first metric of a metric-math alarm", () => {
  const alarm = metricAlarm({
    MetricName: undefined,
    Metrics: [
      { Id: "rate", Expression: "failed / (failed + succeeded) * 100" },
      { Id: "failed", MetricStat: { Metric: { Namespace: "FleetOTA", MetricName: "OTAUpdates/Failed" }, Period: 300, Stat: "Sum" } },
    ],
  });

  const [view] = shapeAlarms([alarm], [], now).alarms;

  assert.is(view?.metric, "OTAUpdates/Failed");
});

test("reads a missing or unknown alarm state as INSUFFICIENT_DATA", () => {
  assert.is(toAlarmState(undefined), "INSUFFICIENT_DATA");
  assert.is(toAlarmState("SOMETHING"), "INSUFFICIENT_DATA");
  assert.is(toAlarmState("ALARM"), "ALARM");
});

test("shapes queue depth, marks dead-letter queues and keeps unreadable queues with their error", () => {
  const doc = shapeQueues(
    [
      queueReading(QUEUE_ROLE.Telemetry, 12),
      queueReading(QUEUE_ROLE.TelemetryDeadLetter, 3),
      { role: QUEUE_ROLE.Update, url: "http://x/1/fleetota-dev-update", error: "AccessDenied" },
    ],
    now,
  );

  assert.equal(
    doc.queues.map((queue) => [queue.name, queue.deadLetter, queue.visible]),
    [
      ["fleetota-dev-telemetry", false, 12],
      ["fleetota-dev-telemetry-dlq", true, 3],
      ["fleetota-dev-update", false, null],
    ],
  );
  assert.is(doc.queues[2]?.error, "AccessDenied");
  assert.is(doc.queues[1]?.oldestAgeSeconds, 95);
});

test("takes the queue name from its URL", () => {
  assert.is(queueNameFromUrl("https://sqs.eu-west-1.amazonaws.com/123456789012/fleetota-dev-update-dlq"), "fleetota-dev-update-dlq");
  assert.is(queueNameFromUrl("http://127.0.0.1:4566/000000000000/q/"), "q");
});

test.run();
