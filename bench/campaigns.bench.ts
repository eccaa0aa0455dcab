/**
 * Job transitions per second in the update manager's core, in-process: a status report parsed and
 * validated (zod), decided by the job state machine and tallied for metrics — against a baseline measured
 * side by side in this process, the least any consumer does per report (JSON.parse and copy the job with
 * its new state). A third line shows the pure state machine alone. Persistence (one DynamoDB transaction
 * per transition) is not in this number; see campaigns-store.bench.ts.
 *
 *   npm run bench -- campaigns
 */
import { decideJobEvent } from "../campaigns/job-machine.js";
import { parseCampaignDefinition, type Job } from "../campaigns/model.js";
import { UpdateTally } from "../campaigns/update-tally.js";
import { parseUpdateRecord } from "../functions/update-manager/process.js";
import { AGENT_STATUS, type AgentStatus } from "../contracts/update-messages.js";
import { job } from "../test/unit/campaigns/support/factories.js";
import { recordFigure } from "./results.js";

const JOBS = 2_000;
const ROUNDS = 7;
const LIFECYCLE: AgentStatus[] = [AGENT_STATUS.Downloading, AGENT_STATUS.Installing, AGENT_STATUS.Verifying, AGENT_STATUS.Succeeded];
const definition = parseCampaignDefinition({ name: "bench", targetVersion: "2.4.0" });

function vin(index: number): string {
  return `1HGCM82633A${String(index).padStart(6, "0")}`;
}

function freshJobs(): Job[] {
  return Array.from({ length: JOBS }, (_, index) => job({ jobId: `c-bench:${vin(index)}`, campaignId: "c-bench", vin: vin(index) }));
}

/** Report bodies as they arrive on the queue: every job's lifecycle, each report sent twice (at-least-once). */
function reportBodies(): Array<{ messageId: string; body: string; index: number }> {
  const bodies: Array<{ messageId: string; body: string; index: number }> = [];
  LIFECYCLE.forEach((status, sequence) => {
    for (let index = 0; index < JOBS; index++) {
      const body = JSON.stringify({
        kind: "status-report",
        idempotencyKey: `c-bench:${vin(index)}#${sequence}`,
        vin: vin(index),
        campaignId: "c-bench",
        jobId: `c-bench:${vin(index)}`,
        attempt: 1,
        sequence,
        status,
        firmwareVersion: status === AGENT_STATUS.Succeeded ? "2.4.0" : "2.3.1",
        reportedAt: "2026-11-26T18:05:00.000Z",
      });
      bodies.push({ messageId: `m${bodies.length}`, body, index }, { messageId: `m${bodies.length + 1}`, body, index });
    }
  });
  return bodies;
}

function baseline(bodies: ReturnType<typeof reportBodies>): number {
  const jobs = freshJobs();
  let transitions = 0;
  for (const { body, index } of bodies) {
    const message = JSON.parse(body) as { status: string; sequence: number };
    const job = jobs[index]!;
    if (message.sequence <= job.lastSequence) continue;
    jobs[index] = { ...job, state: message.status as Job["state"], lastSequence: message.sequence };
    transitions++;
  }
  return transitions;
}

function core(bodies: ReturnType<typeof reportBodies>, at: Date): number {
  const jobs = freshJobs();
  const tally = new UpdateTally();
  let transitions = 0;
  for (const record of bodies) {
    const message = parseUpdateRecord(record);
    if (message.kind !== "status-report") continue;
    const job = jobs[record.index]!;
    const decision = decideJobEvent(job, { type: "report", status: message.status, attempt: message.attempt, sequence: message.sequence, firmwareVersion: message.firmwareVersion, at }, definition);
    if (decision.kind !== "applied") continue;
    tally.count(job.state, decision.job.state);
    jobs[record.index] = decision.job;
    transitions++;
  }
  tally.toMetricData(at);
  return transitions;
}

function machineOnly(bodies: ReturnType<typeof reportBodies>, at: Date): number {
  const parsed = bodies.map((record) => ({ index: record.index, message: JSON.parse(record.body) as { status: AgentStatus; attempt: number; sequence: number; firmwareVersion: string } }));
  const jobs = freshJobs();
  const started = performance.now();
  let transitions = 0;
  for (const { index, message } of parsed) {
    const decision = decideJobEvent(jobs[index]!, { type: "report", ...message, at }, definition);
    if (decision.kind === "applied") {
      jobs[index] = decision.job;
      transitions++;
    }
  }
  machineMs.push(performance.now() - started);
  return transitions;
}
const machineMs: number[] = [];

function measure(run: () => number): { ms: number; count: number } {
  const started = performance.now();
  const count = run();
  return { ms: performance.now() - started, count };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

const bodies = reportBodies();
const at = new Date("2026-11-26T18:05:00.000Z");
const baselineMs: number[] = [];
const coreMs: number[] = [];
let counts = { baseline: 0, core: 0, machine: 0 };
for (let round = 0; round < ROUNDS; round++) {
  const b = measure(() => baseline(bodies));
  const c = measure(() => core(bodies, at));
  counts = { baseline: b.count, core: c.count, machine: machineOnly(bodies, at) };
  if (round > 0) {
    baselineMs.push(b.ms);
    coreMs.push(c.ms);
  } else machineMs.pop();
}
if (counts.core !== counts.baseline || counts.machine !== counts.core) {
  throw new Error(`transition counts differ: ${JSON.stringify(counts)}`);
}
const perSecond = (count: number, ms: number) => Math.round((count / ms) * 1000);
const baselineRate = perSecond(counts.baseline, median(baselineMs));
const coreRate = perSecond(counts.core, median(coreMs));
const machineRate = perSecond(counts.machine, median(machineMs));
console.log(`${bodies.length} report deliveries (${JOBS} jobs × ${LIFECYCLE.length} reports, each delivered twice), ${counts.core} transitions; median of ${ROUNDS - 1} rounds`);
console.log(`baseline (JSON.parse + copy):           ${baselineRate.toLocaleString("en-US")} transitions/s`);
console.log(`core (zod parse + state machine + tally): ${coreRate.toLocaleString("en-US")} transitions/s  (${(coreRate / baselineRate).toFixed(2)}× baseline)`);
console.log(`state machine alone (pre-parsed):        ${machineRate.toLocaleString("en-US")} transitions/s  (${(machineRate / baselineRate).toFixed(2)}× baseline)`);
recordFigure({ name: "job transitions (parse + machine + tally) vs JSON.parse + copy", value: coreRate / baselineRate, unit: "ratio" });
recordFigure({ name: "job transitions", value: coreRate, unit: "transitions/s" });
