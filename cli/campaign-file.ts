import { extname } from "node:path";
import { parse as parseYaml, YAMLParseError } from "yaml";
import { CampaignDefinitionError, parseCampaignDefinition, type CampaignDefinition } from "../campaigns/model.js";
import { InputFileError } from "./errors.js";

/**
 * Reads an operator's campaign file (JSON, or YAML for any other extension) and validates it with
 * the campaign schema. Every problem is reported with its field path and, for syntax errors, its line.
 *
 * @example
 * parseCampaignFile("name: brakes\ntargetVersion: 2.4.0\n", "brakes.yaml").targetVersion; // "2.4.0"
 */
export function parseCampaignFile(text: string, path: string): CampaignDefinition {
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
    return parseYaml(text);
  } catch (error) {
    if (error instanceof YAMLParseError) {
      throw new InputFileError(path, `not valid YAML: ${(error.message.split("\n")[0] ?? "").replace(/:$/, "")}`);
    }
    throw error;
  }
}
