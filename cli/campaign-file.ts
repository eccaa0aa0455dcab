import { extname } from "node:path";
import { parse as parseYaml, YAMLParseError } from "yaml";
import { CampaignDefinitionError, parseCampaignDefinition, type CampaignDefinition } from "../campaigns/model.js";
import { InputFileError } from "./errors.js";

/** A campaign definition is at most 64 KiB as JSON; a file four times that is not a campaign. */
export const MAX_CAMPAIGN_FILE_CHARS = 256 * 1024;
/** YAML aliases a campaign file may use (the library's own guard against alias bombs is 100). */
const MAX_YAML_ALIASES = 100;

/**
 * Reads an operator's campaign file (JSON, or YAML for any other extension) and validates it with
 * the campaign schema. Every problem is reported with its field path and, for syntax errors, its line.
 *
 * @example
 * parseCampaignFile("name: brakes\ntargetVersion: 2.4.0\n", "brakes.yaml").targetVersion; // "2.4.0"
 */
export function parseCampaignFile(text: string, path: string): CampaignDefinition {
  if (text.length > MAX_CAMPAIGN_FILE_CHARS) {
    throw new InputFileError(path, `is ${text.length} characters; a campaign file is at most ${MAX_CAMPAIGN_FILE_CHARS}`);
  }
  const input = extname(path).toLowerCase() === ".json" ? parseJson(text, path) : parseYamlText(text, path);
  if (input === null || input === undefined || typeof input !== "object" || Array.isArray(input)) {
    throw new InputFileError(path, "a campaign file must hold one object (name, targetVersion, waves, …)");
  }
  try {
    return parseCampaignDefinition(input);
  } catch (error) {
    if (error instanceof CampaignDefinitionError) {
      throw new InputFileError(path, error.problems.map((problem) => `${problem.field}: ${problem.message}`).join("; "));
    }
    throw error;
  }
}

function parseJson(text: string, path: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new InputFileError(path, `not valid JSON (${(error as Error).message})`);
  }
}

function parseYamlText(text: string, path: string): unknown {
  try {
    return parseYaml(text, { maxAliasCount: MAX_YAML_ALIASES });
  } catch (error) {
    const firstLine = ((error as Error).message.split("\n")[0] ?? "").replace(/:$/, "");
    if (error instanceof YAMLParseError) throw new InputFileError(path, `not valid YAML: ${firstLine}`);
    // The yaml library stops an alias bomb with a plain ReferenceError; any other throw is a bad file too.
    if (/alias/i.test(firstLine)) {
      throw new InputFileError(path, `YAML aliases expand too far (an alias bomb?): more than ${MAX_YAML_ALIASES} alias expansions; refused`);
    }
    throw new InputFileError(path, `not valid YAML: ${firstLine}`);
  }
}
