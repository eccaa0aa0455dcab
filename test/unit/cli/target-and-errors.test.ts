import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { commandMessage } from "../../../cli/commands/campaign.js";
import { InputFileError, TargetResolutionError } from "../../../cli/errors.js";
import { runCli } from "../../../cli/main.js";
import type { CliIo } from "../../../cli/output.js";
import { namesFromStackOutputs, requireName, resolveTarget } from "../../../cli/target.js";
import { commandMessageSchema } from "../../../contracts/update-messages.js";
import type { LocalCloudDescription } from "../../../local/model.js";

const stackEnvironment = {
  FLEETOTA_NAME_PREFIX: "fleetota-dev",
  FLEETOTA_DATA_BUCKET: "fleetota-dev-data",
  FLEETOTA_STATE_TABLE: "fleetota-dev-state",
  FLEETOTA_UPDATE_QUEUE_URL: "http://127.0.0.1:5000/000000000000/fleetota-dev-update",
  FLEETOTA_UPDATE_DLQ_URL: "http://127.0.0.1:5000/000000000000/fleetota-dev-update-dlq",
  FLEETOTA_COMMAND_QUEUE_URL: "http://127.0.0.1:5000/000000000000/fleetota-dev-commands",
  FLEETOTA_COMMAND_DLQ_URL: "http://127.0.0.1:5000/000000000000/fleetota-dev-commands-dlq",
  FLEETOTA_DIRECTOR_KEY_ID: "arn:aws:kms:eu-central-1:123456789012:key/director",
};

function localDescription(environment: Record<string, string> = stackEnvironment): LocalCloudDescription {
  return {
    endpoint: "http://127.0.0.1:5000",
    region: "eu-central-1",
    accountId: "000000000000",
    stackName: "fleetota-dev",
    resources: {},
    outputs: {},
    functions: [
      { address: "a", functionName: "fleetota-dev-update-manager", functionArn: "arn", handler: "index.handler", archivePath: "x", environment, timeoutSeconds: 30, memorySizeMb: 256 },
    ],
    eventSourceMappings: [],
    schedules: [],
    skipped: [],
  };
}

function workspace(description?: LocalCloudDescription): string {
  const dir = mkdtempSync(join(tmpdir(), "fleetota-cli-"));
  if (description) {
    mkdirSync(join(dir, ".fleetota"));
    writeFileSync(join(dir, ".fleetota", "local.json"), JSON.stringify(description));
  }
  return dir;
}

function throwsOf(run: () => unknown): Error {
  try {
    run();
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected an error");
}

test("an existing .fleetota/local.json selects the local cloud with the Lambdas' names", () => {
  const target = resolveTarget({ cwd: workspace(localDescription()), env: {} });
  assert.is(target.kind, "local");
  assert.is(target.clientConfig.endpoint, "http://127.0.0.1:5000");
  assert.is(target.clientConfig.region, "eu-central-1");
  assert.is(target.names.updateDlqUrl, stackEnvironment.FLEETOTA_UPDATE_DLQ_URL);
  assert.equal([target.names.commandQueueUrl, target.names.commandDlqUrl], [stackEnvironment.FLEETOTA_COMMAND_QUEUE_URL, stackEnvironment.FLEETOTA_COMMAND_DLQ_URL]);
});

test("--local without a running local cloud says how to start one", () => {
  const error = throwsOf(() => resolveTarget({ local: true, cwd: workspace(), env: {} }));
  assert.instance(error, TargetResolutionError);
  assert.match(error.message, "npm start");
});

test("a local description whose Lambdas lack a name names the missing variable", () => {
  const { FLEETOTA_UPDATE_DLQ_URL: _dropped, ...partial } = stackEnvironment;
  const error = throwsOf(() => resolveTarget({ cwd: workspace(localDescription(partial)), env: {} }));
  assert.instance(error, TargetResolutionError);
  assert.match(error.message, "FLEETOTA_UPDATE_DLQ_URL");
});

test("without a local cloud, AWS names come from FLEETOTA_* variables and the default credential chain", () => {
  const target = resolveTarget({ cwd: workspace(), env: stackEnvironment });
  assert.is(target.kind, "aws");
  assert.equal(target.clientConfig, {});
  assert.is(target.names.stateTable, "fleetota-dev-state");
});

test("--stack-outputs wins over a local cloud and maps output names to the stack names", () => {
  const dir = workspace(localDescription());
  writeFileSync(
    join(dir, "outputs.json"),
    JSON.stringify({
      "fleetota-dev": {
        name_prefix: "fleetota-prod",
        data_bucket_name: "prod-data",
        state_table_name: "prod-state",
        update_queue_url: "q",
        update_dlq_url: "dlq",
        command_queue_url: "cq",
        command_dlq_url: "cdlq",
        director_key_id: "arn:aws:kms:eu-west-1:111122223333:key/k",
        dashboard_url: "https://d.example",
        telemetry_queue_url: "tq",
        telemetry_dlq_url: "tdlq",
      },
    }),
  );
  const target = resolveTarget({ cwd: dir, stackOutputs: "outputs.json", env: {} });
  assert.is(target.kind, "aws");
  assert.is(target.names.dataBucket, "prod-data");
  assert.equal([target.names.telemetryQueueUrl, target.names.telemetryDlqUrl], ["tq", "tdlq"]);
  assert.equal([target.names.commandQueueUrl, target.names.commandDlqUrl], ["cq", "cdlq"]);
  assert.is(target.names.namePrefix, "fleetota-prod");
  assert.is(target.names.directorKeyId, "arn:aws:kms:eu-west-1:111122223333:key/k");
});

test("the telemetry queue names are optional: without them every name resolves, and requireName says which variable to set", () => {
  const target = resolveTarget({ cwd: workspace(), env: stackEnvironment });
  assert.is(target.names.telemetryDlqUrl, undefined);
  const error = throwsOf(() => requireName(target, "telemetryDlqUrl"));
  assert.instance(error, TargetResolutionError);
  assert.match(error.message, "FLEETOTA_TELEMETRY_DLQ_URL");
  const local = resolveTarget({ cwd: workspace(localDescription({ ...stackEnvironment, FLEETOTA_TELEMETRY_DLQ_URL: "tdlq" })), env: {} });
  assert.is(requireName(local, "telemetryDlqUrl"), "tdlq");
});

test("redrive --queue takes updates, commands or telemetry, and each queue's own filter only", async () => {
  const cwd = workspace(localDescription({ ...stackEnvironment, FLEETOTA_TELEMETRY_QUEUE_URL: "tq", FLEETOTA_TELEMETRY_DLQ_URL: "tdlq" }));
  const cases: Array<[string[], RegExp]> = [
    [["redrive", "--queue", "firmware"], /--queue must be one of/],
    [["redrive", "--queue", "telemetry", "--campaign", "c-1"], /--campaign selects update messages/],
    [["redrive", "--key-prefix", "telemetry/"], /--key-prefix selects telemetry objects/],
    [["redrive", "--queue", "commands", "--key-prefix", "telemetry/"], /--key-prefix selects telemetry objects; give --queue telemetry \(the commands DLQ/],
  ];
  for (const [args, message] of cases) {
    const io = capturingIo();
    assert.is(await runCli(args, { io, cwd, env: {} }), 1, args.join(" "));
    assert.match(io.err, message);
    assert.is(io.err.trim().split("\n").length, 1);
  }
});

test("namesFromStackOutputs ignores outputs it does not know", () => {
  assert.equal(namesFromStackOutputs({ s: { dashboardUrl: "http://x", updateDlqUrl: "dlq" } }, "o.json"), { FLEETOTA_UPDATE_DLQ_URL: "dlq" });
});

test("an unreadable stack outputs file is an InputFileError naming it", () => {
  const error = throwsOf(() => resolveTarget({ cwd: workspace(), stackOutputs: "missing.json", env: {} }));
  assert.instance(error, InputFileError);
  assert.match(error.message, "missing.json");
});

test("commandMessage builds a valid command with a fresh idempotency key each time", () => {
  const now = new Date("2026-11-26T12:00:00Z");
  const first = commandMessage("pause", "c-1", "alice", now, "rollbacks");
  const second = commandMessage("pause", "c-1", "alice", now, "rollbacks");
  assert.ok(commandMessageSchema.safeParse(first).success);
  assert.is(first.reason, "rollbacks");
  assert.is.not(first.idempotencyKey, second.idempotencyKey);
});

function capturingIo(): CliIo & { out: string; err: string } {
  const io = { out: "", err: "", interactive: false, stdout: (text: string) => void (io.out += text), stderr: (text: string) => void (io.err += text) };
  return io;
}

test("a bad option ends with one line on stderr and exit code 1", async () => {
  const io = capturingIo();
  const code = await runCli(["redrive", "--max-per-second", "fast"], { io, cwd: workspace(localDescription()), env: {} });
  assert.is(code, 1);
  assert.is(io.err.trim().split("\n").length, 1);
  assert.match(io.err, /^fleetota: --max-per-second must be a whole number/);
});

test("a missing target ends with one line naming what to set, exit code 1", async () => {
  const io = capturingIo();
  const code = await runCli(["campaign", "list"], { io, cwd: workspace(), env: {} });
  assert.is(code, 1);
  assert.match(io.err, /^fleetota: FLEETOTA_NAME_PREFIX is not set/);
});

test("an unknown command exits 1", async () => {
  const io = capturingIo();
  assert.is(await runCli(["launch"], { io, cwd: workspace(), env: {} }), 1);
  assert.match(io.err, "unknown command");
});

test("--help exits 0 and lists the commands", async () => {
  const io = capturingIo();
  assert.is(await runCli(["--help"], { io, cwd: workspace(), env: {} }), 0);
  for (const command of ["release", "campaign", "jobs", "redrive"]) assert.match(io.out, command);
});

test.run();
