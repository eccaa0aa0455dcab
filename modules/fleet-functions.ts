import { Construct } from "constructs";
import { CAMPAIGN_PK_PREFIX, COMMAND_PK_PREFIX } from "../campaigns/store/keys.js";
import { DASHBOARD_DOCUMENT } from "../contracts/dashboard-documents.js";
import { ENV } from "../contracts/environment.js";
import { GATEWAY_VEHICLES_PREFIX } from "../contracts/gateway-vehicles.js";
import { PARKED_PREFIX, PARKED_SOURCE, type ParkedSource } from "../contracts/parked-failure.js";
import { OBJECT_PK_PREFIX } from "../functions/telemetry-processor/idempotency.js";
import { FLEET_SNAPSHOT_KEY, FLEET_STATE_PARTS_PREFIX } from "../telemetry/fleet-state.js";
import { BundledFunction } from "./bundled-function.js";
import type { DashboardSite } from "./dashboard-site.js";
import type { DirectorSigningKey } from "./director-signing-key.js";
import { DATA_LAKE_PREFIX, type DataLakeStorage } from "./data-lake-storage.js";
import type { PolicyStatement } from "./iam.js";
import { MissingAccountIdError, type FleetOtaStackProps } from "./stack-config.js";
import type { StateTable } from "./state-table.js";
import type { UpdatePipeline } from "./update-pipeline.js";
import type { WorkQueue } from "./work-queue.js";

/** The short names of the Lambdas: folders under functions/ and the `fleetota:function` tag. */
export const FUNCTION = {
  telemetryProcessor: "telemetry-processor",
  updateManager: "update-manager",
  rolloutTicker: "rollout-ticker",
  dashboardPublisher: "dashboard-publisher",
} as const;

export type FunctionKey = keyof typeof FUNCTION;


export interface FleetFunctionsProps {
  readonly stack: FleetOtaStackProps;
  /** dist/functions, where scripts/build.ts writes one folder per bundle. */
  readonly bundlesDir: string;
  readonly storage: DataLakeStorage;
  readonly state: StateTable;
  readonly telemetryQueue: WorkQueue;
  readonly updates: UpdatePipeline;
  readonly dashboard: DashboardSite;
  /** The director's KMS key: the update manager alone may sign with it. */
  readonly directorKey: DirectorSigningKey;
}

/**
 * The four FleetOTA Lambdas, each with the ENV variables it reads and the permissions it needs:
 * exact ARNs and object prefixes, `*` only where AWS offers nothing narrower and then with a
 * condition. Their triggers (queue mappings, schedules) are wired by the pipelines and main.ts.
 *
 * @example
 * const functions = new FleetFunctions(this, "functions", { stack: props, bundlesDir: "dist/functions", storage, state, telemetryQueue, updates, dashboard, directorKey });
 * functions.byKey.telemetryProcessor.functionArn
 */
export class FleetFunctions extends Construct {
  readonly byKey: Readonly<Record<FunctionKey, BundledFunction>>;

  constructor(scope: Construct, id: string, private readonly props: FleetFunctionsProps) {
    super(scope, id);
    this.byKey = this.createFunctions();
    this.grantPermissions();
  }

  /** Each function with its short name, in a stable order. */
  get all(): ReadonlyArray<{ readonly shortName: string; readonly fn: BundledFunction }> {
    return (Object.keys(FUNCTION) as FunctionKey[]).map((key) => ({ shortName: FUNCTION[key], fn: this.byKey[key] }));
  }

  private createFunctions(): Record<FunctionKey, BundledFunction> {
    const { stack, storage, state, telemetryQueue, dashboard } = this.props;
    const updateQueue = this.props.updates.work;
    const commandQueue = this.props.updates.commands;
    const prefix = stack.namePrefix;
    const create = (key: FunctionKey, description: string, environment: Record<string, string>, reservedConcurrency?: number) =>
      new BundledFunction(this, FUNCTION[key], {
        shortName: FUNCTION[key],
        functionName: `${prefix}-${FUNCTION[key]}`,
        description,
        timeoutSeconds: stack.functions[key].timeoutSeconds,
        memoryMb: stack.functions[key].memoryMb,
        environment: {
          [ENV.NAME_PREFIX]: prefix,
          [ENV.METRICS_NAMESPACE]: stack.metricsNamespace,
          [ENV.LOG_LEVEL]: stack.logLevel,
          [ENV.SERVICE_NAME]: FUNCTION[key],
          [ENV.STATE_TABLE]: state.tableName,
          [ENV.UPDATE_QUEUE_URL]: updateQueue.queueUrl,
          ...environment,
        },
        logRetentionDays: stack.logRetentionDays,
        bundlesDir: this.props.bundlesDir,
        sourceMaps: stack.lambdaSourceMaps,
        reservedConcurrency,
        region: stack.region,
      });

    const telemetryProcessor = create("telemetryProcessor", "Validates telemetry batches, publishes fleet metrics, feeds the update queue", {
      [ENV.DATA_BUCKET]: storage.bucketName,
      [ENV.FLEET_STATE_MAX_VEHICLES]: String(stack.fleetStateMaxVehicles),
    });
    return {
      telemetryProcessor,
      updateManager: create("updateManager", "Drives campaigns and vehicle update jobs; signs job documents", {
        [ENV.DATA_BUCKET]: storage.bucketName,
        [ENV.DIRECTOR_KEY_ID]: this.props.directorKey.keyArn,
        // A command is applied only from a record of this queue: one on the vehicle-report queue is parked, whoever sent it.
        [ENV.COMMAND_QUEUE_ARN]: commandQueue.queueArn,
      }),
      // Scheduled work runs one at a time: two overlapping ticks or publisher runs (fleet-state compaction)
      // would race each other.
      rolloutTicker: create("rolloutTicker", "Scheduled: rollout waves, timeouts, auto-abort", { [ENV.COMMAND_QUEUE_URL]: commandQueue.queueUrl }, 1),
      dashboardPublisher: create("dashboardPublisher", "Scheduled: writes the dashboard data JSON", {
        [ENV.DATA_BUCKET]: storage.bucketName,
        [ENV.DASHBOARD_BUCKET]: dashboard.bucketName,
        [ENV.DASHBOARD_DATA_PREFIX]: dashboard.dataPrefix,
        [ENV.DASHBOARD_TRENDS_EVERY_MINUTES]: String(stack.dashboardTrendsEveryMinutes),
        [ENV.FLEET_STATE_MAX_VEHICLES]: String(stack.fleetStateMaxVehicles),
        [ENV.FLEET_STATE_RETENTION_DAYS]: String(stack.fleetStateRetentionDays),
        [ENV.PARKED_RETENTION_DAYS]: String(stack.parkedRetentionDays),
        [ENV.ALARM_PREFIX]: `${prefix}-`,
        [ENV.TELEMETRY_QUEUE_URL]: telemetryQueue.queueUrl,
        [ENV.TELEMETRY_DLQ_URL]: telemetryQueue.deadLetterQueueUrl,
        [ENV.UPDATE_DLQ_URL]: updateQueue.deadLetterQueueUrl,
        [ENV.COMMAND_QUEUE_URL]: commandQueue.queueUrl,
        [ENV.COMMAND_DLQ_URL]: commandQueue.deadLetterQueueUrl,
      }, 1),
    };
  }

  private grantPermissions(): void {
    const { telemetryProcessor, updateManager, rolloutTicker, dashboardPublisher } = this.byKey;
    const { stack, storage: lake, state, telemetryQueue, updates, dashboard } = this.props;
    const account = stack.accountId;
    if (account === undefined) throw new MissingAccountIdError();
    const grant = (fn: BundledFunction, statements: PolicyStatement[]) => statements.forEach((statement) => fn.addToPolicy(statement));
    // A permanent failure is parked once under the parking function's own folder (a conditional put).
    const parkFailures = (source: ParkedSource): PolicyStatement => ({
      Sid: "ParkFailures",
      Effect: "Allow",
      Action: "s3:PutObject",
      Resource: `${lake.bucketArn}/${PARKED_PREFIX}${source}/*`,
    });

    // No cloudwatch:PutMetricData: the processor and the update manager write their metrics as EMF log
    // lines (lib/emf-metrics.ts), which CloudWatch Logs turns into metrics from their own log groups.
    grant(telemetryProcessor, [
      // Each event's object is read (and quarantined) by its version id: an overwrite of the key cannot swap the body.
      { Sid: "ReadTelemetry", Effect: "Allow", Action: ["s3:GetObject", "s3:GetObjectVersion"], Resource: lake.objectsArn(DATA_LAKE_PREFIX.telemetry) },
      // An event's object (or version) that is gone is parked as object-missing, and a raw-looking key whose decoded form
      // does not exist is quarantined: both need S3 to answer the read 404, which it does only with s3:ListBucket (below).
      answerMissingWith404("AnswerMissingTelemetryWith404", lake.bucketArn, [`${DATA_LAKE_PREFIX.telemetry}*`]),
      // The VINs each fleet gateway may carry: read only (operators write them); a gateway nobody bound has no
      // document, and its read must answer 404 (it carries no vehicle), not 403 (a denial, retried).
      { Sid: "ReadGatewayVehicles", Effect: "Allow", Action: "s3:GetObject", Resource: `${lake.bucketArn}/${GATEWAY_VEHICLES_PREFIX}*` },
      answerMissingWith404("AnswerMissingGatewayVehiclesWith404", lake.bucketArn, [`${GATEWAY_VEHICLES_PREFIX}*`]),
      { Sid: "WriteQuarantine", Effect: "Allow", Action: "s3:PutObject", Resource: lake.objectsArn(DATA_LAKE_PREFIX.quarantine) },
      parkFailures(PARKED_SOURCE.TelemetryProcessor),
      // The processor adds parts to the fleet state; only the publisher reads, compacts and deletes them.
      { Sid: "AddFleetStateParts", Effect: "Allow", Action: "s3:PutObject", Resource: `${lake.bucketArn}/${FLEET_STATE_PARTS_PREFIX}*` },
      // Object markers are read, then written once (a conditional put), never updated or deleted.
      itemsUnder("ObjectMarkers", ["dynamodb:GetItem", "dynamodb:PutItem"], state.tableArn, [OBJECT_PK_PREFIX]),
      { Sid: "ListCampaigns", Effect: "Allow", Action: "dynamodb:Query", Resource: state.indexArn },
    ]);
    // Candidates and reports only: the processor parses hostile telemetry, so it gets no SendMessage on the command queue.
    updates.grantSendReports(telemetryProcessor);

    grant(updateManager, [
      parkFailures(PARKED_SOURCE.UpdateManager),
      // A vehicle's refused reports of a day are counted in one record, read and rewritten conditionally
      // (lib/parked-failures.ts parkCountedRecords); its first read finds none, which must answer 404, not 403.
      { Sid: "ReadCountedParkedRecords", Effect: "Allow", Action: "s3:GetObject", Resource: `${lake.bucketArn}/${PARKED_PREFIX}${PARKED_SOURCE.UpdateManager}/*` },
      answerMissingWith404("AnswerMissingParkedWith404", lake.bucketArn, [`${PARKED_PREFIX}${PARKED_SOURCE.UpdateManager}/*`]),
      // Published image-repository metadata (roots, targets) only (uptane/repository-store.ts readPublished): not
      // firmware/staged/ (releases still collecting signatures, writable by release engineers), nor the images.
      { Sid: "ReadImageRepository", Effect: "Allow", Action: "s3:GetObject", Resource: `${lake.bucketArn}/${DATA_LAKE_PREFIX.firmware}metadata/*` },
      { Sid: "ReadDirectorRoots", Effect: "Allow", Action: "s3:GetObject", Resource: `${lake.bucketArn}/${DATA_LAKE_PREFIX.director}root/*` },
      // A withdrawal is a signed document too: job documents are replaced, never deleted.
      { Sid: "PublishJobDocuments", Effect: "Allow", Action: ["s3:GetObject", "s3:PutObject"], Resource: lake.objectsArn(DATA_LAKE_PREFIX.jobs) },
      // Root and targets chains are read "until the next version is missing", a vehicle's job document may not exist yet.
      answerMissingWith404("AnswerMissingMetadataWith404", lake.bucketArn, [`${DATA_LAKE_PREFIX.firmware}metadata/*`, `${DATA_LAKE_PREFIX.director}root/*`, `${DATA_LAKE_PREFIX.jobs}*`]),
      { Sid: "SignDirectorMetadata", Effect: "Allow", Action: ["kms:Sign", "kms:GetPublicKey"], Resource: this.props.directorKey.keyArn },
      signOnlyFromFunction(functionArnOf(stack.region, account, `${stack.namePrefix}-${FUNCTION.updateManager}`)),
      itemsUnder("CampaignItems", ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"], state.tableArn, [CAMPAIGN_PK_PREFIX, COMMAND_PK_PREFIX]),
      { Sid: "QueryCampaignsAndJobs", Effect: "Allow", Action: "dynamodb:Query", Resource: [...state.tableAndIndexArns, state.owedIndexArn] },
      // Targeting trusts the registry (campaigns/registry-check.ts): a vehicle's thing is named by its VIN, 17 characters.
      { Sid: "ReadVehicleRegistrations", Effect: "Allow", Action: "iot:DescribeThing", Resource: vehicleThingsArn(stack.region, account) },
    ]);
    this.props.directorKey.grantSign(updateManager.role.arn);

    // The ticker only lists campaigns and queues a tick for each: it writes no item at all.
    grant(rolloutTicker, [{ Sid: "ListCampaigns", Effect: "Allow", Action: "dynamodb:Query", Resource: state.indexArn }]);
    updates.grantSendCommands(rolloutTicker);

    grant(dashboardPublisher, [
      { Sid: "QueryCampaignsAndJobs", Effect: "Allow", Action: "dynamodb:Query", Resource: state.tableAndIndexArns },
      {
        Sid: "ListFleetStateParts",
        Effect: "Allow",
        Action: "s3:ListBucket",
        Resource: lake.bucketArn,
        // The snapshot by its key: before the first compaction there is none, and its read must answer 404 (answerMissingWith404).
        Condition: { StringLike: { "s3:prefix": [`${FLEET_STATE_PARTS_PREFIX}*`, `${PARKED_PREFIX}*`, FLEET_SNAPSHOT_KEY] } },
      },
      // The release calendar: the published image targets and roots, each read "until the next version is missing" (a 404).
      {
        Sid: "ReadReleaseCalendar",
        Effect: "Allow",
        Action: "s3:GetObject",
        Resource: [`${lake.bucketArn}/${DATA_LAKE_PREFIX.firmware}metadata/*`, `${lake.bucketArn}/${DATA_LAKE_PREFIX.director}root/*`],
      },
      answerMissingWith404("AnswerMissingReleaseMetadataWith404", lake.bucketArn, [`${DATA_LAKE_PREFIX.firmware}metadata/*`, `${DATA_LAKE_PREFIX.director}root/*`]),
      // "Needs a hand" lists the newest parked failures (lib/parked-failures.ts listParkedFailures).
      { Sid: "ReadParkedFailures", Effect: "Allow", Action: "s3:GetObject", Resource: `${lake.bucketArn}/${PARKED_PREFIX}*` },
      // Fleet state is parts plus a snapshot: the publisher reads both, folds the parts into the snapshot and deletes them.
      { Sid: "ReadFleetState", Effect: "Allow", Action: "s3:GetObject", Resource: lake.objectsArn(DATA_LAKE_PREFIX.fleetState) },
      { Sid: "CompactFleetState", Effect: "Allow", Action: "s3:PutObject", Resource: `${lake.bucketArn}/${FLEET_SNAPSHOT_KEY}` },
      { Sid: "DeleteCompactedParts", Effect: "Allow", Action: "s3:DeleteObject", Resource: `${lake.bucketArn}/${FLEET_STATE_PARTS_PREFIX}*` },
      { Sid: "WriteDashboardData", Effect: "Allow", Action: "s3:PutObject", Resource: `${dashboard.bucketArn}/${dashboard.dataPrefix}*` },
      // A campaign page continues its job-state series, "needs a hand" its observed alarm changes, from the document written the minute before.
      {
        Sid: "ReadOwnPreviousDocuments",
        Effect: "Allow",
        Action: "s3:GetObject",
        Resource: [`${dashboard.bucketArn}/${dashboard.dataPrefix}campaigns/*`, `${dashboard.bucketArn}/${dashboard.dataPrefix}${DASHBOARD_DOCUMENT.NeedsAHand}`],
      },
      // A new campaign's page, and "needs a hand" on the first run, have no previous document: that read must answer 404.
      answerMissingWith404("AnswerMissingDocumentsWith404", dashboard.bucketArn, [`${dashboard.dataPrefix}campaigns/*`, `${dashboard.dataPrefix}${DASHBOARD_DOCUMENT.NeedsAHand}`]),
      {
        Sid: "ReadQueueDepths",
        Effect: "Allow",
        Action: "sqs:GetQueueAttributes",
        Resource: [telemetryQueue, updates.work, updates.commands].flatMap((work) => [work.queueArn, work.deadLetterQueueArn]),
      },
      {
        // Looks at up to 10 dead letters per DLQ with a visibility timeout of 0: nothing is taken or deleted.
        Sid: "PeekDeadLetters",
        Effect: "Allow",
        Action: "sqs:ReceiveMessage",
        Resource: [telemetryQueue, updates.work, updates.commands].map((work) => work.deadLetterQueueArn),
      },
      {
        Sid: "DescribeOwnAlarms",
        Effect: "Allow",
        Action: ["cloudwatch:DescribeAlarms", "cloudwatch:DescribeAlarmHistory"],
        Resource: `arn:aws:cloudwatch:${stack.region}:${account}:alarm:${stack.namePrefix}-*`,
      },
      {
        Sid: "ReadMetricsInOwnRegion",
        Effect: "Allow",
        Action: "cloudwatch:GetMetricData",
        Resource: "*",
        Condition: { StringEquals: { "aws:RequestedRegion": stack.region } },
      },
    ]);
  }
}

/**
 * `s3:ListBucket` on `bucketArn` for keys matching `keys` only, granted so that a read of a key there that does
 * not exist answers 404 NoSuchKey / NoSuchVersion, which the code acts on (parks, starts a chain, writes a
 * first document). Without it AWS answers 403 AccessDenied whether the key exists or not ("If you have the
 * s3:ListBucket permission on the bucket, Amazon S3 returns 404 Not Found, otherwise 403": the GetObject and
 * HeadObject API references), a 403 the code rightly treats as transient, so on AWS the "missing" branch would
 * never run (moto answers 404 to everyone). For that check S3 evaluates `s3:ListBucket` with the requested key
 * as `s3:prefix`, so the `s3:prefix` condition keeps both the listing and the 404 to these keys: ceph's
 * s3-tests `test_head_object_404_with_policy_prefix` (run against AWS, not marked fails_on_aws) expects 404
 * for a missing key under an `s3:prefix`-conditioned grant and 403 outside it, and Ceph RGW adopted it "to
 * match AWS behavior" (ceph/ceph#68577). To confirm on a real account before relying on it (README, Deploying
 * to AWS); if AWS ever answered 403 there, drop the condition rather than the grant.
 *
 * @example
 * answerMissingWith404("AnswerMissingTelemetryWith404", lake.bucketArn, ["telemetry/*"])
 */
export function answerMissingWith404(sid: string, bucketArn: string, keys: readonly string[]): PolicyStatement {
  return { Sid: sid, Effect: "Allow", Action: "s3:ListBucket", Resource: bucketArn, Condition: { StringLike: { "s3:prefix": keys } } };
}

/**
 * Item actions limited to items whose partition key starts with one of `prefixes` (dynamodb:LeadingKeys;
 * the Null test keeps a request without a key, which ForAllValues would let through, out).
 *
 * @example
 * itemsUnder("ObjectMarkers", ["dynamodb:PutItem"], table.arn, ["OBJECT#"])
 */
export function itemsUnder(sid: string, actions: readonly string[], tableArn: string, prefixes: readonly string[]): PolicyStatement {
  return {
    Sid: sid,
    Effect: "Allow",
    Action: actions,
    Resource: tableArn,
    Condition: {
      "ForAllValues:StringLike": { "dynamodb:LeadingKeys": prefixes.map((prefix) => `${prefix}*`) },
      Null: { "dynamodb:LeadingKeys": "false" },
    },
  };
}

/**
 * The ARN of a function by name (unqualified), as Lambda puts it in `lambda:SourceFunctionArn`. Built from the name,
 * not the function's `arn` attribute: the function depends on its role's policy, which names it.
 *
 * @example
 * functionArnOf("eu-central-1", "123456789012", "fleetota-dev-update-manager"); // "arn:aws:lambda:eu-central-1:123456789012:function:fleetota-dev-update-manager"
 */
export function functionArnOf(region: string, account: string, functionName: string): string {
  return `arn:aws:lambda:${region}:${account}:function:${functionName}`;
}

/**
 * Denies `kms:Sign` to every session of the role but the ones Lambda runs this function's code with. Lambda puts the
 * running function's ARN into the request context of every AWS call made with its execution role's credentials from
 * inside its execution environment (`lambda:SourceFunctionArn`, AWS Lambda Developer Guide, "Using source function
 * ARN to control function access behavior"); a function somebody else creates with this role (`iam:PassRole` +
 * `lambda:CreateFunction`) carries its own ARN, and a session without the key (none: the role trusts only
 * lambda.amazonaws.com) matches ArnNotLike too. The key is not allowed in resource policies, so the Deny lives in
 * the role's own policy, not the key policy. Resource `*`: no key at all, whichever director key generation.
 *
 * @example
 * signOnlyFromFunction("arn:aws:lambda:eu-central-1:123456789012:function:fleetota-dev-update-manager");
 */
export function signOnlyFromFunction(functionArn: string): PolicyStatement {
  return {
    Sid: "SignOnlyFromTheUpdateManagerFunction",
    Effect: "Deny",
    Action: "kms:Sign",
    Resource: "*",
    // Its versions and aliases too (qualified ARNs), should the function ever publish them.
    Condition: { ArnNotLike: { "lambda:SourceFunctionArn": [functionArn, `${functionArn}:*`] } },
  };
}

/**
 * The ARN pattern of the vehicles' IoT things: named by the VIN, 17 characters (`?` matches one), so no
 * fleet gateway (`gw-` and up to 64 characters) of another length and no other thing is readable. A gateway
 * id of exactly 17 characters would match; the update manager treats a thing of any type but the vehicle type as no vehicle.
 *
 * @example
 * vehicleThingsArn("eu-central-1", "123456789012"); // "arn:aws:iot:eu-central-1:123456789012:thing/?????????????????"
 */
export function vehicleThingsArn(region: string, account: string): string {
  return `arn:aws:iot:${region}:${account}:thing/${"?".repeat(17)}`;
}
