import { OPERATOR_COMMAND, type CommandMessage } from "../contracts/update-messages.js";
import { CAMPAIGN_STATE, type Campaign, type TransitionRecord } from "./model.js";
import type { CampaignRecords, RevisionedTransition } from "./store/campaign-store.js";

/**
 * How far a command's `requestedAt` (the sender's clock) may be behind the update manager's clock before a state
 * change recorded after it makes the command stale. Used only for commands without `expectedRevision` (sent before
 * the CLI carried it, or by hand): a revision compares no clocks.
 */
export const COMMAND_CLOCK_ALLOWANCE_MS = 5 * 60_000;

/** Commands that only stop a rollout; the others (start, resume, retry-failed) set one moving. */
const STOPPING_COMMANDS: ReadonlySet<string> = new Set([OPERATOR_COMMAND.Pause, OPERATOR_COMMAND.Cancel]);

/**
 * Whether a recorded transition overtakes a command requested before it. Only changes of state count, never the
 * campaign's creation nor its scheduled start (SCHEDULED → RUNNING at `startAt`, decided when it was started);
 * wave openings, applied retry-failed commands and refusals keep the state. A command that sets the campaign moving
 * is overtaken by any such change (a resume must not undo a later pause, nor a retry-failed reopen what completed
 * after it was asked); a command that stops it only by one that set it moving again (a pause must not undo a later
 * resume, but a cancel still applies to a campaign auto-paused meanwhile: the state machine refuses what no longer fits).
 */
function overtakes(record: TransitionRecord, command: string): boolean {
  if (record.from === "" || record.from === record.to) return false;
  if (record.from === CAMPAIGN_STATE.Scheduled && record.to === CAMPAIGN_STATE.Running) return false;
  if (!STOPPING_COMMANDS.has(command)) return true;
  return record.to === CAMPAIGN_STATE.Running || record.to === CAMPAIGN_STATE.Scheduled;
}

/**
 * Why an operator command is stale, or undefined when it may be decided. Stale means the campaign changed state
 * after the sender last saw it in a way the command would override (see `overtakes`): a resume redriven from the
 * DLQ hours later must not undo a safety pause decided after it. With `expectedRevision` (the campaign revision the
 * CLI read before sending) the transitions after that revision count, with no clock involved; without it, those
 * recorded more than COMMAND_CLOCK_ALLOWANCE_MS after `requestedAt`. Pure: `changes` are the campaign's recorded
 * transitions after the revision (or all of them when the command carries none).
 *
 * @example
 * staleCommandReason({ command: "resume", requestedAt: "2026-11-26T18:05:00.000Z", expectedRevision: 2 },
 *   [{ revision: 4, from: "RUNNING", to: "PAUSED", at: "2026-11-26T19:00:00.000Z", reason: "bricks hu-3", cause: "pause by bob" }]);
 * // "stale: the campaign changed state after it was requested (revision 2): RUNNING → PAUSED at 2026-11-26T19:00:00.000Z [pause by bob]; send it again if it still applies"
 */
export function staleCommandReason(
  message: Pick<CommandMessage, "command" | "requestedAt" | "expectedRevision">,
  changes: readonly RevisionedTransition[],
): string | undefined {
  let since: string;
  let after: (record: RevisionedTransition) => boolean;
  if (message.expectedRevision !== undefined) {
    const expected = message.expectedRevision;
    since = `revision ${expected}`;
    after = (record) => record.revision > expected;
  } else {
    const requestedAt = Date.parse(message.requestedAt);
    if (Number.isNaN(requestedAt)) return `requestedAt ${JSON.stringify(message.requestedAt)} is not a time, so its staleness cannot be judged`;
    since = `at ${message.requestedAt}`;
    after = (record) => Date.parse(record.at) > requestedAt + COMMAND_CLOCK_ALLOWANCE_MS;
  }
  const overtaking = changes.filter((record) => after(record) && overtakes(record, message.command)).at(-1);
  if (!overtaking) return undefined;
  return `stale: the campaign changed state after it was requested (${since}): ${overtaking.from} → ${overtaking.to} at ${overtaking.at} [${overtaking.cause}]; send it again if it still applies`;
}

/**
 * Reads what a command's staleness depends on and judges it (staleCommandReason): nothing to read when the campaign is
 * still at the command's expected revision.
 *
 * @example
 * const stale = await commandStaleness(store.campaigns, campaign, message); // undefined, or the refusal's reason
 */
export async function commandStaleness(
  records: CampaignRecords,
  campaign: Campaign,
  message: Pick<CommandMessage, "command" | "requestedAt" | "expectedRevision">,
): Promise<string | undefined> {
  if (message.expectedRevision !== undefined && campaign.revision < message.expectedRevision) {
    return `it names campaign revision ${message.expectedRevision}, but the campaign is at revision ${campaign.revision}`;
  }
  if (message.expectedRevision === campaign.revision) return undefined;
  const changes = await records.changesSince(campaign.campaignId, message.expectedRevision ?? -1);
  return staleCommandReason(message, changes);
}
