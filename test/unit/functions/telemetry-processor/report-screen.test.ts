/**
 * The status reports a vehicle's object may put on the fleet's shared update queue (report-screen.ts; review 25,
 * R25-03): only its own jobs' in campaigns that exist, each job's newest attempt, two jobs and 16 reports a job at most;
 * what is held back is counted by reason. Through processTelemetryBatch for the queue, through the real job machine
 * for "nothing an honest object says is lost".
 */
import type { Context, SQSEvent, SQSRecord } from "aws-lambda";
import { gzipSync } from "node:zlib";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { decideJobEvent, newJob } from "../../../../campaigns/job-machine.js";
import { jobIdFor, parseCampaignDefinition, type Job } from "../../../../campaigns/model.js";
import type { Campaign } from "../../../../campaigns/model.js";
import type { CampaignList } from "../../../../campaigns/store/index.js";
import { cachedCampaigns } from "../../../../functions/telemetry-processor/campaign-cache.js";
import { vehicleTelemetryKey } from "../../../../contracts/telemetry-keys.js";
import type { AgentStatus, StatusReportMessage } from "../../../../contracts/update-messages.js";
import { processTelemetryBatch } from "../../../../functions/telemetry-processor/batch.js";
import { MAX_JOBS_PER_OBJECT, MAX_REPORTS_PER_JOB, REPORT_HELD_BACK, screenStatusReports } from "../../../../functions/telemetry-processor/report-screen.js";
import { statusReportsOf } from "../../../../functions/telemetry-processor/update-handoff.js";
import { enriched, NOW_MS, telemetryRecord } from "../../telemetry/support/factories.js";
import { BUCKET, quietDependencies } from "./support/quiet-batch.js";

const VIN = "1HGCM82633A004352";
const OTHER = "1M8GDM9AXKP042788";
const REAL = ["c-20261203T100000-aaaaaaaa", "c-20261203T110000-bbbbbbbb", "c-20261203T120000-cccccccc"];
/** Campaigns that exist, none RUNNING (so no candidate joins the reports on the queue). */
const campaignList = { list: async () => REAL.map((campaignId) => ({ campaignId, state: "COMPLETED", definition: parseCampaignDefinition({ name: campaignId, targetVersion: "2.4.0" }) })) } as unknown as CampaignList;

type Ota = { campaignId: string; jobId?: string; attempt?: number; sequence: number; status: AgentStatus; reason?: string };
const line = (vin: string, seq: number, ota: Ota) =>
  JSON.stringify({
    ...telemetryRecord({ vin, seq, ts: new Date(NOW_MS - 3_600_000 + seq * 1_000).toISOString(), firmware: { version: ota.status === "SUCCEEDED" ? "2.4.0" : "2.3.1" } }),
    ota: { jobId: ota.jobId ?? jobIdFor(ota.campaignId, vin), attempt: 1, targetVersion: "2.4.0", ...ota },
  });

/** One batch of the given vehicles' objects through the processor; the status reports it put on the update queue, by uploader, and its metric lines. */
async function throughProcessor(objects: Array<{ vin: string; lines: string[] }>, campaigns = cachedCampaigns({ campaigns: campaignList })) {
  const bodies = new Map(objects.map(({ vin, lines }, index) => [vehicleTelemetryKey(vin, NOW_MS - 60_000, `o-${index}`), gzipSync(lines.join("\n") + "\n")]));
  const deps = quietDependencies({
    send: async (command: { constructor: { name: string }; input: { Key?: string } }) => (command.constructor.name === "GetObjectCommand" ? { Body: [bodies.get(command.input.Key!)!] } : {}),
  });
  const sent: StatusReportMessage[] = [];
  deps.sqs = {
    send: async (command: { input: { Entries?: Array<{ MessageBody?: string }> } }) => {
      for (const entry of command.input.Entries ?? []) {
        const message = JSON.parse(entry.MessageBody!);
        if (message.kind === "status-report") sent.push(message);
      }
      return { Successful: [], Failed: [] };
    },
  } as never;
  const metricLines: Array<Record<string, unknown>> = [];
  deps.metricsOut = (text: string) => metricLines.push(JSON.parse(text));
  const records = [...bodies].map(([key, body], index) => {
    const event = { "detail-type": "Object Created", time: new Date(NOW_MS - 30_000).toISOString(), detail: { bucket: { name: BUCKET }, object: { key, size: body.length, etag: `e${index}` } } };
    return { messageId: `m${index}`, body: JSON.stringify(event), attributes: { ApproximateReceiveCount: "1" } } as unknown as SQSRecord;
  });
  const response = await processTelemetryBatch({ Records: records } as SQSEvent, { awsRequestId: "r", getRemainingTimeInMillis: () => 55_000 } as unknown as Context, deps, {
    campaigns,
    fleetStateMaxVehicles: 1_000,
  });
  assert.equal(response.batchItemFailures, []);
  const heldBack: Record<string, number> = {};
  for (const metrics of metricLines) {
    if (typeof metrics["Telemetry/StatusReportsHeldBack"] === "number") heldBack[metrics["Reason"] as string] = metrics["Telemetry/StatusReportsHeldBack"] as number;
  }
  return { sent, heldBack };
}

test("R25-03: an object of 64 made-up campaigns' reports puts none on the update queue; they are counted unknown-campaign", async () => {
  const flood = Array.from({ length: 64 }, (_, n) => line(VIN, n, { campaignId: `c-made-up-${n}`, sequence: 1, status: "FAILED" }));
  const { sent, heldBack } = await throughProcessor([{ vin: VIN, lines: flood }]);
  assert.equal(sent, []);
  assert.equal(heldBack, { [REPORT_HELD_BACK.UnknownCampaign]: 64 });
});

test("a vehicle that knows real campaign ids gets at most 2 jobs x 16 reports an object onto the queue; others' jobs and older attempts none", async () => {
  const statuses: AgentStatus[] = ["DOWNLOADING", "INSTALLING"];
  const lines = [
    ...Array.from({ length: 64 }, (_, n) => line(VIN, n, { campaignId: REAL[n % 3]!, sequence: n + 1, status: statuses[n % 2]! })),
    ...Array.from({ length: 10 }, (_, n) => line(VIN, 100 + n, { campaignId: REAL[0]!, jobId: jobIdFor(REAL[0]!, OTHER), sequence: n + 1, status: "SUCCEEDED" })),
    ...Array.from({ length: 10 }, (_, n) => line(VIN, 200 + n, { campaignId: REAL[2]!, attempt: 7, sequence: 900 + n, status: statuses[n % 2]! })),
  ];
  const { sent, heldBack } = await throughProcessor([{ vin: VIN, lines }]);
  assert.ok(sent.length <= MAX_JOBS_PER_OBJECT * MAX_REPORTS_PER_JOB, `${sent.length} sent`);
  assert.equal([...new Set(sent.map((report) => report.campaignId))].sort(), [REAL[0], REAL[2]], "the jobs reported last");
  assert.ok(sent.every((report) => report.jobId === jobIdFor(report.campaignId, VIN) && report.vin === VIN));
  assert.ok(sent.filter((report) => report.campaignId === REAL[2]).every((report) => report.attempt === 7), "the newest attempt of the job alone");
  assert.is(heldBack[REPORT_HELD_BACK.OtherVehicle], 10);
  assert.is(heldBack[REPORT_HELD_BACK.OlderAttempt], 21, "REAL[2]'s attempt-1 reports");
  assert.equal([heldBack[REPORT_HELD_BACK.TooManyJobs], heldBack[REPORT_HELD_BACK.TooManyReports]], [21, 6], "REAL[1]'s, and REAL[0]'s first 6 of 22");
  assert.is(sent.length + Object.values(heldBack).reduce((sum, count) => sum + count, 0), 84, "every report either sent or counted");
});

test("a vehicle cannot hold back another's reports: its flood naming B's job and made-up campaigns beside B's honest object in one batch", async () => {
  const [campaign] = REAL;
  const forged = Array.from({ length: 64 }, (_, n) =>
    n % 2 ? line(VIN, n, { campaignId: campaign!, jobId: jobIdFor(campaign!, OTHER), sequence: 1_000 + n, status: "FAILED" }) : line(VIN, n, { campaignId: `c-x-${n}`, sequence: 1, status: "FAILED" }),
  );
  const honest = (["DOWNLOADING", "INSTALLING", "VERIFYING", "SUCCEEDED"] as const).map((status, n) => line(OTHER, n, { campaignId: campaign!, sequence: n + 1, status }));
  const { sent, heldBack } = await throughProcessor([
    { vin: VIN, lines: forged },
    { vin: OTHER, lines: honest },
  ]);
  assert.equal(
    sent.map((report) => [report.vin, report.jobId, report.sequence, report.status]),
    honest.map((_, n) => [OTHER, jobIdFor(campaign!, OTHER), n + 1, ["DOWNLOADING", "INSTALLING", "VERIFYING", "SUCCEEDED"][n]]),
  );
  assert.equal(heldBack, { [REPORT_HELD_BACK.OtherVehicle]: 32, [REPORT_HELD_BACK.UnknownCampaign]: 32 });
});

test("a vehicle's junk after its genuine reports in one object cannot push them out: screened before the bound", async () => {
  const [campaign] = REAL;
  const genuine = (["DOWNLOADING", "INSTALLING", "FAILED"] as const).map((status, n) => line(VIN, n, { campaignId: campaign!, sequence: n + 1, status }));
  const junk = Array.from({ length: 200 }, (_, n) => line(VIN, 10 + n, { campaignId: `c-made-up-${n}`, sequence: 1, status: "FAILED" }));
  const { sent, heldBack } = await throughProcessor([{ vin: VIN, lines: [...genuine, ...junk] }]);
  assert.equal(sent.map((report) => report.status), ["DOWNLOADING", "INSTALLING", "FAILED"]);
  assert.equal(heldBack, { [REPORT_HELD_BACK.UnknownCampaign]: 200 });
});

/** The job as a sequence of reports leaves it (the real job machine, the report's `at` fixed). */
function applied(start: Job, reports: readonly StatusReportMessage[]) {
  const definition = parseCampaignDefinition({ name: "bms", targetVersion: "2.4.0" });
  const at = new Date(NOW_MS);
  let job = start;
  const outcomes: string[] = [];
  for (const report of reports) {
    const decision = decideJobEvent(job, { type: "report", status: report.status, attempt: report.attempt, sequence: report.sequence, firmwareVersion: report.firmwareVersion, ...(report.reason ? { reason: report.reason } : {}), at }, definition);
    if (decision.kind !== "applied") continue;
    job = decision.job;
    if (decision.outcome) outcomes.push(decision.outcome);
  }
  return { job, outcomes };
}

test("R26-01: a COMPLETED campaign's reports are not held back: its TIMED_OUT job still takes the vehicle's late final report", async () => {
  const [campaign] = REAL;
  const late = (["INSTALLING", "VERIFYING", "SUCCEEDED"] as const).map((status, n) => line(VIN, n, { campaignId: campaign!, sequence: 3 + n, status }));
  const { sent, heldBack } = await throughProcessor([{ vin: VIN, lines: late }]);
  assert.equal(sent.map((report) => report.status), ["INSTALLING", "VERIFYING", "SUCCEEDED"]);
  assert.equal(heldBack, {});
  const created = newJob({ campaignId: campaign!, vin: VIN, wave: 0, targetVersion: "2.4.0", firmwareVersion: "2.3.1", hardware: "hu-3" }, { met: true }, new Date(NOW_MS - 7_200_000)).job;
  const timedOut: Job = { ...created, state: "TIMED_OUT", lastSequence: 2, inProgressSince: new Date(NOW_MS - 7_000_000).toISOString() };
  const { job, outcomes } = applied(timedOut, sent);
  assert.equal([job.state, outcomes], ["SUCCEEDED", ["succeeded"]], "the late success lands (a campaign that ended leaves such jobs as they are)");
});

test("an agent's objects lose nothing that applies: random hours of attempts (deferrals, heartbeats, failures, retries) end the job exactly as every report would", () => {
  const [campaignId] = REAL;
  let seed = 25;
  const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
  const finals: AgentStatus[] = ["SUCCEEDED", "FAILED", "ROLLED_BACK"];
  let olderAttemptsSeen = 0;
  for (let round = 0; round < 2_000; round++) {
    // One job's reports in one object, as the agent makes them: attempts in order, each through its phases with
    // heartbeats (a run of one status), ending with a final report or still going; the sequence counts across attempts.
    const firstAttempt = 1 + Math.floor(random() * 3);
    const attempts = 1 + Math.floor(random() * 3);
    let sequence = Math.floor(random() * 20);
    const records = [];
    for (let attempt = firstAttempt; attempt < firstAttempt + attempts; attempt++) {
      const phases: AgentStatus[] = ["DEFERRED", "DOWNLOADING", "INSTALLING", "VERIFYING"].filter(() => random() < 0.85) as AgentStatus[];
      for (const status of phases) {
        for (let beat = 0, beats = 1 + Math.floor(random() * 6); beat < beats; beat++) {
          records.push(enriched({ firmware: { version: "2.3.1" }, ota: { jobId: jobIdFor(campaignId!, VIN), campaignId: campaignId!, attempt, sequence: ++sequence, status, targetVersion: "2.4.0" } }));
        }
      }
      const last = attempt === firstAttempt + attempts - 1;
      if (!last || random() < 0.7) {
        const status = last ? finals[Math.floor(random() * finals.length)]! : "FAILED";
        records.push(enriched({ firmware: { version: status === "SUCCEEDED" ? "2.4.0" : "2.3.1" }, ota: { jobId: jobIdFor(campaignId!, VIN), campaignId: campaignId!, attempt, sequence: ++sequence, status, targetVersion: "2.4.0" } }));
      }
    }
    // The job as the update manager holds it when the object arrives: on the newest attempt the vehicle reports (it had
    // that attempt's document), its earlier reports applied or not.
    const created = newJob({ campaignId: campaignId!, vin: VIN, wave: 0, targetVersion: "2.4.0", firmwareVersion: "2.3.1", hardware: "hu-3" }, { met: true }, new Date(NOW_MS)).job;
    const start: Job = { ...created, attempt: firstAttempt + attempts - 1, priorSequence: random() < 0.5 ? 0 : firstAttempt };
    const all = records.map((record) => statusReportsOf([record], VIN).reports[0]!);
    const { reports, heldBack } = screenStatusReports(statusReportsOf(records, VIN).reports, new Set(REAL));
    assert.equal(Object.keys(heldBack).filter((reason) => reason !== REPORT_HELD_BACK.OlderAttempt), [], `round ${round}: ${JSON.stringify(heldBack)}`);
    olderAttemptsSeen += heldBack[REPORT_HELD_BACK.OlderAttempt] ?? 0;
    assert.equal(applied(start, reports), applied(start, all), `round ${round}`);
  }
  assert.ok(olderAttemptsSeen > 1_000, `${olderAttemptsSeen} reports of older attempts held back`);
});

test("a campaign created after the container read its list: its first report goes on the queue, and the list is read once more, not per report", async () => {
  const stored = [...REAL];
  let reads = 0;
  const growing: CampaignList = {
    list: async () => {
      reads++;
      return stored.map((campaignId) => ({ campaignId, state: "COMPLETED", definition: parseCampaignDefinition({ name: campaignId, targetVersion: "2.4.0" }) }) as unknown as Campaign);
    },
  };
  const cache = cachedCampaigns({ campaigns: growing });
  const report = (campaignId: string, sequence: number) => line(VIN, sequence, { campaignId, sequence, status: "DOWNLOADING" });
  await throughProcessor([{ vin: VIN, lines: [report(REAL[0]!, 1)] }], cache);
  const created = "c-20261203T130000-dddddddd";
  stored.push(created);

  const first = await throughProcessor([{ vin: VIN, lines: [report(created, 1)] }, { vin: OTHER, lines: [line(OTHER, 1, { campaignId: created, sequence: 1, status: "DOWNLOADING" })] }], cache);
  const known = await throughProcessor([{ vin: VIN, lines: [report(REAL[0]!, 2), report(created, 2)] }], cache);
  const junk = await throughProcessor([{ vin: VIN, lines: Array.from({ length: 64 }, (_, n) => report(`c-made-up-${n}`, n + 1)) }], cache);

  assert.equal(first.sent.map((sent) => [sent.vin, sent.campaignId]), [[VIN, created], [OTHER, created]], "not held back as unknown-campaign");
  assert.equal(first.heldBack, {});
  assert.is(known.sent.length, 2);
  assert.equal(junk.heldBack, { [REPORT_HELD_BACK.UnknownCampaign]: 64 });
  assert.is(reads, 3, "warm-up, the new campaign's invocation, the junk's invocation: none for the known ids");
});

test.run();
