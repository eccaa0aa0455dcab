import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { SendMessageCommand } from "@aws-sdk/client-sqs";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { Command } from "commander";
import { FAILURE_JOB_STATES, JOB_STATES, countJobsIn, type Campaign, type JobState, type TransitionRecord } from "../../campaigns/model.js";
import { listCampaignSummaries, listJobs } from "../../campaigns/read-model.js";
import { dynamoCampaignStore, type CampaignStore } from "../../campaigns/store/index.js";
import { OPERATOR_COMMAND, UPDATE_MESSAGE_KIND, commandMessageSchema, type CommandMessage, type OperatorCommand } from "../../contracts/update-messages.js";
import { parseChoice } from "../arguments.js";
import { parseCampaignFile } from "../campaign-file.js";
import type { CommandContext } from "../context.js";
import { InputFileError, NotFoundError } from "../errors.js";
import { formatTable, printResult } from "../output.js";

type ContextFor = (command: Command) => CommandContext;

function campaignStore(context: CommandContext): CampaignStore {
  const doc = DynamoDBDocumentClient.from(context.dynamo(), { marshallOptions: { removeUndefinedValues: true } });
  return dynamoCampaignStore({ doc, table: context.target().names.stateTable });
}

/**
 * A command message for the update-job queue. Each operator invocation is its own intent, so its
 * idempotency key is fresh; the SDK's own retries resend the same body and are deduped on it.
 * `expectedRevision` is the campaign revision read before sending: the update manager refuses the
 * command as stale if the campaign changed state after it (e.g. a resume redriven after a later pause).
 *
 * @example
 * commandMessage("pause", "c-20261126T173500-1a2b3c4d", "alice", new Date(), "too many rollbacks", 7);
 */
export function commandMessage(
  command: OperatorCommand,
  campaignId: string,
  requestedBy: string,
  now: Date,
  reason?: string,
  expectedRevision?: number,
): CommandMessage {
  return commandMessageSchema.parse({
    kind: UPDATE_MESSAGE_KIND.Command,
    idempotencyKey: `cmd:${campaignId}:${command}:${randomUUID()}`,
    command,
    campaignId,
    requestedBy,
    requestedAt: now.toISOString(),
    ...(expectedRevision === undefined ? {} : { expectedRevision }),
    ...(reason ? { reason } : {}),
  });
}

export function registerCampaignCommands(program: Command, contextFor: ContextFor): void {
  const campaign = program.command("campaign").description("create, inspect and steer OTA campaigns");

  campaign
    .command("create")
    .description("create a campaign (DRAFT) from a JSON or YAML definition")
    .argument("<file>", "campaign definition (.json, .yaml, .yml)")
    .option("--start", "start it right away")
    .action(async function createAction(this: Command, file: string, options: { start?: boolean }) {
      await runCampaignCreate(contextFor(this), file, options);
    });

  campaign
    .command("list")
    .description("every campaign, newest first")
    .action(async function listAction(this: Command) {
      const context = contextFor(this);
      const summaries = await listCampaignSummaries(campaignStore(context));
      const rows = summaries.map((summary) => ({
        campaignId: summary.campaignId,
        name: summary.name,
        state: summary.state,
        target: summary.targetVersion,
        wave: `${summary.wave.index}/${summary.wave.total}`,
        admitted: summary.admitted,
        succeeded: summary.counts.SUCCEEDED,
        failed: countJobsIn(summary.counts, FAILURE_JOB_STATES),
      }));
      printResult(context.io, context.json, summaries, () => (rows.length ? formatTable(rows, Object.keys(rows[0]!) as Array<keyof (typeof rows)[number]>) : ["no campaigns"]));
    });

  campaign
    .command("show")
    .description("one campaign: definition, counters and its recorded transitions")
    .argument("<campaignId>")
    .action(async function showAction(this: Command, campaignId: string) {
      await runCampaignShow(contextFor(this), campaignId);
    });

  const steering: Array<[string, OperatorCommand, string]> = [
    ["start", OPERATOR_COMMAND.Start, "start a DRAFT campaign (SCHEDULED when its startAt is ahead)"],
    ["pause", OPERATOR_COMMAND.Pause, "stop admitting vehicles; jobs in progress finish"],
    ["resume", OPERATOR_COMMAND.Resume, "resume a PAUSED campaign"],
    ["cancel", OPERATOR_COMMAND.Cancel, "cancel the campaign and its unfinished jobs"],
    ["retry-failed", OPERATOR_COMMAND.RetryFailed, "return FAILED and TIMED_OUT jobs to QUEUED"],
  ];
  for (const [name, command, description] of steering) {
    campaign
      .command(name)
      .description(`${description} (sent to the update manager)`)
      .argument("<campaignId>")
      .option("--reason <text>", "why, recorded with the transition")
      .action(async function steerAction(this: Command, campaignId: string, options: { reason?: string }) {
        await runCampaignCommand(contextFor(this), command, campaignId, options.reason);
      });
  }

  program
    .command("jobs")
    .description("a campaign's vehicle jobs")
    .argument("<campaignId>")
    .option("--state <state>", `only jobs in this state (${JOB_STATES.join(", ")})`)
    .action(async function jobsAction(this: Command, campaignId: string, options: { state?: string }) {
      await runJobs(contextFor(this), campaignId, options.state);
    });
}

/**
 * `campaign create <file> [--start]`: validates the file, stores the campaign in DRAFT.
 *
 * @example
 * await runCampaignCreate(context, "campaigns/brakes.yaml", { start: true });
 */
export async function runCampaignCreate(context: CommandContext, file: string, options: { start?: boolean }, now = new Date()): Promise<void> {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new InputFileError(file, `cannot read (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  const definition = parseCampaignFile(text, file);
  const created = await campaignStore(context).campaigns.create(definition, { now: now.toISOString() });
  const startMessage = options.start ? await sendCommand(context, OPERATOR_COMMAND.Start, created, undefined, now) : undefined;
  printResult(context.io, context.json, { campaignId: created.campaignId, state: created.state, startRequested: startMessage?.idempotencyKey }, () => [
    `created campaign ${created.campaignId} (${definition.name} → ${definition.targetVersion}, ${definition.waves.length} wave(s)) in ${created.state}`,
    ...(startMessage ? [`start requested (${startMessage.idempotencyKey})`] : [`start it with: fleetota campaign start ${created.campaignId}`]),
  ]);
}

async function runCampaignShow(context: CommandContext, campaignId: string): Promise<void> {
  const store = campaignStore(context);
  const campaign = await store.campaigns.get(campaignId);
  if (!campaign) throw new NotFoundError(`campaign ${campaignId} does not exist`);
  const history = await store.campaigns.history(campaignId);
  printResult(context.io, context.json, { ...campaign, history }, () => campaignShowLines(campaign, history));
}

/**
 * What `campaign show` prints: the campaign, its counters (withdrawals owed, when any) and its transitions.
 *
 * @example
 * campaignShowLines(campaign, transitions)[3]; // "withdrawals owed: 3 (install documents of canceled or timed-out jobs …)"
 */
export function campaignShowLines(campaign: Campaign, history: readonly TransitionRecord[]): string[] {
  const nonZero = Object.entries(campaign.counts).filter(([, count]) => count > 0);
  const owed = campaign.withdrawalsOwed ?? 0;
  return [
    `${campaign.campaignId}  ${campaign.name}  ${campaign.state}${campaign.stateReason ? ` (${campaign.stateReason})` : ""}`,
    `target ${campaign.definition.targetVersion}; wave ${campaign.waveIndex + 1}/${campaign.definition.waves.length}; eligible ${campaign.eligible}, admitted ${campaign.admitted}`,
    `jobs: ${nonZero.length ? nonZero.map(([state, count]) => `${state} ${count}`).join(", ") : "none yet"}`,
    ...(owed > 0
      ? [
          `withdrawals owed: ${owed} (install documents of canceled or timed-out jobs, still readable by their vehicles; the ticker withdraws them again each minute and confirms each 20 min after its job's last write; failures: alarm <prefix>-withdrawals-failed, the update manager's 'job document withdrawal failed' log lines; the jobs: fleetota jobs ${campaign.campaignId} --state CANCELED, --state TIMED_OUT)`,
        ]
      : []),
    "history:",
    ...history.map((entry) => `  ${entry.at}  ${entry.from || "·"} → ${entry.to}  ${entry.reason} [${entry.cause}]`),
  ];
}

/**
 * Sends one steering command (start, pause, resume, cancel, retry-failed) to the update manager.
 *
 * @example
 * await runCampaignCommand(context, "pause", "c-20261126T173500-1a2b3c4d", "investigating rollbacks");
 */
export async function runCampaignCommand(context: CommandContext, command: OperatorCommand, campaignId: string, reason?: string): Promise<void> {
  const campaign = await campaignStore(context).campaigns.get(campaignId);
  if (!campaign) throw new NotFoundError(`campaign ${campaignId} does not exist`);
  const message = await sendCommand(context, command, campaign, reason);
  printResult(context.io, context.json, { campaignId, command, state: campaign.state, revision: campaign.revision, idempotencyKey: message.idempotencyKey }, () => [
    `${command} sent for ${campaignId} (now ${campaign.state}, revision ${campaign.revision}); the update manager applies it within seconds, or refuses it (campaign show) if the campaign changes state first`,
  ]);
}

/** Sends a command for the campaign as read: its revision goes along, so a command overtaken by a later change of state is refused, not applied. */
async function sendCommand(context: CommandContext, command: OperatorCommand, campaign: Campaign, reason?: string, now = new Date()): Promise<CommandMessage> {
  const message = commandMessage(command, campaign.campaignId, context.operator, now, reason, campaign.revision);
  await context.sqs().send(new SendMessageCommand({ QueueUrl: context.target().names.commandQueueUrl, MessageBody: JSON.stringify(message) }));
  return message;
}

async function runJobs(context: CommandContext, campaignId: string, rawState: string | undefined): Promise<void> {
  const state: JobState | undefined = rawState === undefined ? undefined : parseChoice("--state", rawState, JOB_STATES);
  const jobs = await listJobs(campaignStore(context), campaignId, state);
  const rows = jobs.map((job) => ({
    vin: job.vin,
    state: job.substate ? `${job.state}/${job.substate}` : job.state,
    attempt: job.attempt,
    wave: job.wave + 1,
    firmware: job.firmwareVersion,
    updatedAt: job.updatedAt,
    reason: job.stateReason ?? "",
  }));
  printResult(context.io, context.json, jobs, () => [
    ...(rows.length ? formatTable(rows, ["vin", "state", "attempt", "wave", "firmware", "updatedAt", "reason"]) : []),
    `${rows.length} job(s)${state ? ` in ${state}` : ""}`,
  ]);
}
