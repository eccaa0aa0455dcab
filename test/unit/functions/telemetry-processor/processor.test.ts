/**
 * The telemetry processor's ledger (functions/telemetry-processor/idempotency.ts) as the processor uses it:
 * one object delivered once, again, twice at once, read through a connection that breaks, with the ledger's
 * answer lost on the way back (the SDK retries the put, as on AWS), over a marker the lease ledger left, and
 * under a key its uploader overwrote before the events were handled (each event reads its own version).
 * DynamoDB is the real SDK client (its own retries, its own error parsing) over an in-memory table answered
 * by its request handler; S3 and SQS are recording fakes (the processor's calls to them are not under test here),
 * but for the reads that fail as AWS fails them: the real S3 client over AWS's own error answers (403, 404).
 */
import { Readable } from "node:stream";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { S3Client, S3ServiceException } from "@aws-sdk/client-s3";
import type { SQSClient } from "@aws-sdk/client-sqs";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { parseCampaignDefinition, type Campaign, type CampaignDefinition } from "../../../../campaigns/model.js";
import { fleetTelemetryKey, vehicleTelemetryKey } from "../../../../contracts/telemetry-keys.js";
import type { UpdateMessage } from "../../../../contracts/update-messages.js";
import {
  cachedGatewayVehicles,
  GATEWAY_VEHICLES_CACHE_MS,
  GATEWAY_VEHICLES_RECHECK_MS,
  GatewayVehiclesUnreadableError,
  type GatewayVehicles,
} from "../../../../functions/telemetry-processor/gateway-vehicles.js";
import { completeObject, OBJECT_PK_PREFIX } from "../../../../functions/telemetry-processor/idempotency.js";
import { cachedCampaigns } from "../../../../functions/telemetry-processor/campaign-cache.js";
import {
  MAX_OBJECT_BYTES,
  ObjectReadDeniedError,
  processTelemetryMessage,
  REDRIVEN_AFTER_MS,
  type Delivery,
  type InvocationScope,
  type ProcessorDependencies,
} from "../../../../functions/telemetry-processor/processor.js";
import { QUARANTINE_PREFIX, QuarantineWriteError, quarantinedObjectKey, rejectedRecordsKey } from "../../../../functions/telemetry-processor/quarantine.js";
import { decodeRejectedRecords } from "../../../../contracts/rejected-records.js";
import { ParkedTally, PermanentFailureError } from "../../../../lib/parked-failures.js";
import { InvocationAggregate } from "../../../../telemetry/aggregate.js";
import { HeldBackTally } from "../../../../functions/telemetry-processor/report-screen.js";
import { gzipped, telemetryRecord } from "../../telemetry/support/factories.js";
import { gatewayDocuments } from "./support/gateway-documents.js";

const BUCKET = "lake";
const TABLE = "state";
const VIN = "1HGCM82633A004352";
const RECORDS = 12;

type AttributeMap = Record<string, Record<string, unknown>>;

/** An in-memory state table behind the real DynamoDB client: GetItem, PutItem (conditions on the item's existence), Query (empty). */
function memoryTable() {
  const items = new Map<string, AttributeMap>();
  const calls: string[] = [];
  /** Each request's input, as sent on the wire. */
  const requests: Array<{ operation: string; input: Record<string, unknown> }> = [];
  /** Puts that are written, then answered with a 500 (the answer lost after the write, as AWS may). */
  const lost = { puts: 0 };
  /** While set, every put is refused unwritten as throttled (the SDK's retries fail too: the message is retried). */
  const throttled = { puts: false };
  const keyOf = (key: AttributeMap) => `${String(key.pk?.S)}\u0000${String(key.sk?.S)}`;
  const answer = (statusCode: number, body: unknown) => ({
    response: { statusCode, headers: { "content-type": "application/x-amz-json-1.0" }, body: Readable.from([Buffer.from(JSON.stringify(body))]) },
  });
  const handler = {
    metadata: { handlerProtocol: "http/1.1" },
    async handle(request: { headers: Record<string, string>; body?: string }) {
      const operation = (request.headers["x-amz-target"] ?? "").split(".")[1] ?? "";
      calls.push(operation);
      const input = JSON.parse(String(request.body ?? "{}")) as Record<string, unknown>;
      requests.push({ operation, input });
      if (operation === "GetItem") {
        const item = items.get(keyOf(input.Key as AttributeMap));
        return answer(200, item ? { Item: item } : {});
      }
      if (operation === "PutItem") {
        if (throttled.puts) return answer(400, { __type: "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException", message: "Throughput exceeds the current capacity" });
        const item = input.Item as AttributeMap;
        const existing = items.get(keyOf(item));
        const condition = String(input.ConditionExpression ?? "");
        // Two conditions are modelled (the item absent; or absent or not in a given status); any other is refused, so a test never passes on a misread.
        const statusTest = /^attribute_not_exists\(pk\) OR (#\w+) <> (:\w+)$/.exec(condition);
        if (condition !== "" && condition !== "attribute_not_exists(pk)" && !statusTest) return answer(400, { __type: "com.amazon.coral.validate#ValidationException", message: `unmodelled condition ${condition}` });
        const names = (input.ExpressionAttributeNames ?? {}) as Record<string, string>;
        const values = (input.ExpressionAttributeValues ?? {}) as AttributeMap;
        const holds = !existing || (statusTest !== null && existing[names[statusTest[1]!]!]?.S !== values[statusTest[2]!]?.S);
        if (condition !== "" && !holds) {
          const old = input.ReturnValuesOnConditionCheckFailure === "ALL_OLD" ? { Item: existing } : {};
          return answer(400, { __type: "com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException", message: "The conditional request failed", ...old });
        }
        items.set(keyOf(item), item);
        if (lost.puts > 0) {
          lost.puts--;
          return answer(500, { __type: "com.amazonaws.dynamodb.v20120810#InternalServerError", message: "Internal server error" });
        }
        return answer(200, {});
      }
      if (operation === "Query") return answer(200, { Items: [], Count: 0, ScannedCount: 0 });
      return answer(400, { __type: "com.amazon.coral.validate#ValidationException", message: `unmodelled operation ${operation}` });
    },
    updateHttpClientConfig() {},
    httpHandlerConfigs: () => ({}),
    destroy() {},
  };
  const client = new DynamoDBClient({ region: "us-east-1", credentials: { accessKeyId: "AKIAUNIT", secretAccessKey: "unit" }, requestHandler: handler });
  const doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  return { doc, items, calls, requests, lost, throttled };
}

/** One stored version of a key. */
interface StoredVersion {
  body: Buffer;
  etag: string;
  versionId: string;
}

const s3Error = (name: string, httpStatusCode: number) => new S3ServiceException({ name, $fault: "client", $metadata: { httpStatusCode }, message: name });

/**
 * A versioned S3 bucket in memory, as S3 answers: a read or copy source by `VersionId` finds that version
 * (NoSuchVersion when there is none), without one the key's newest; `IfMatch` / `CopySourceIfMatch` on
 * another ETag is a 412. `hold` keeps every GetObject waiting until it is released (two deliveries reading at once).
 */
const refusedLinesIn = (body: Uint8Array): string =>
  decodeRejectedRecords(body)
    .lines.map((line) => JSON.stringify(line))
    .join("\n");

function memoryBucket() {
  const objects = new Map<string, StoredVersion[]>();
  const writes: string[] = [];
  /** The last body put under each key; of a records file, its refused lines as NDJSON ("" for none). */
  const written = new Map<string, string>();
  const copies: Array<Record<string, unknown>> = [];
  let release: () => void = () => {};
  let held: Promise<void> | undefined;
  const reads = { count: 0 };
  let versions = 0;
  const find = (key: string, versionId: unknown, ifMatch: unknown): StoredVersion => {
    const stored = objects.get(key) ?? [];
    const found = versionId === undefined ? stored.at(-1) : stored.find((version) => version.versionId === versionId);
    if (!found) throw versionId === undefined ? s3Error("NoSuchKey", 404) : s3Error("NoSuchVersion", 404);
    if (ifMatch !== undefined && ifMatch !== `"${found.etag}"`) throw s3Error("PreconditionFailed", 412);
    return found;
  };
  const client = {
    async send(command: { constructor: { name: string }; input: Record<string, unknown> }) {
      const key = String(command.input.Key);
      switch (command.constructor.name) {
        case "GetObjectCommand": {
          reads.count++;
          if (held) await held;
          const found = find(key, command.input.VersionId, command.input.IfMatch);
          return { Body: Readable.from([found.body]), ETag: `"${found.etag}"`, VersionId: found.versionId };
        }
        case "CopyObjectCommand": {
          const source = new URL(`s3://${String(command.input.CopySource)}`);
          find(decodeURIComponent(source.pathname.slice(1)), source.searchParams.get("versionId") ?? undefined, command.input.CopySourceIfMatch);
          copies.push(command.input);
          writes.push(key);
          return {};
        }
        case "PutObjectCommand":
          writes.push(key);
          written.set(key, key.startsWith(QUARANTINE_PREFIX.Records) ? refusedLinesIn(command.input.Body as Uint8Array) : String(command.input.Body));
          return {};
        default:
          throw new Error(`unmodelled S3 call ${command.constructor.name}`);
      }
    },
  };
  return {
    s3: client as unknown as S3Client,
    objects,
    writes,
    written,
    copies,
    reads,
    /** Stores a new version of `key` (the newest); returns its version id. */
    put(key: string, body: Buffer, etag: string): string {
      const versionId = `v${++versions}`;
      objects.set(key, [...(objects.get(key) ?? []), { body, etag, versionId }]);
      return versionId;
    },
    hold() {
      held = new Promise((resolve) => (release = resolve));
    },
    release() {
      held = undefined;
      release();
    },
  };
}

function recordingSqs() {
  const sent: string[] = [];
  const client = {
    async send(command: { input: { Entries: Array<{ Id: string; MessageBody: string }> } }) {
      sent.push(...command.input.Entries.map((entry) => entry.MessageBody));
      return { Successful: command.input.Entries.map((entry) => ({ Id: entry.Id, MessageId: entry.Id, MD5OfMessageBody: "" })), Failed: [] };
    },
  };
  return { sqs: client as unknown as SQSClient, sent };
}

/** The VINs bound to each gateway, as the processor's cache would answer them; `failing` makes every read throw (a throttled S3). */
function memoryGatewayVehicles() {
  const bound = new Map<string, Set<string>>();
  const state = { failing: undefined as Error | undefined, reads: 0 };
  const none: ReadonlySet<string> = new Set();
  const gatewayVehicles: GatewayVehicles = {
    async vehiclesOf(gatewayId) {
      state.reads++;
      if (state.failing) throw state.failing;
      return bound.get(gatewayId) ?? none;
    },
    async newerThan(gatewayId, judgedWith) {
      const current = await this.vehiclesOf(gatewayId);
      return current === judgedWith ? undefined : current;
    },
  };
  return { bound, state, gatewayVehicles };
}

function world() {
  const table = memoryTable();
  const bucket = memoryBucket();
  const queue = recordingSqs();
  const gateways = memoryGatewayVehicles();
  const dependencies: ProcessorDependencies = {
    s3: bucket.s3,
    sqs: queue.sqs,
    gatewayVehicles: gateways.gatewayVehicles,
    metricsOut: () => {},
    doc: table.doc,
    dataBucket: BUCKET,
    stateTable: TABLE,
    updateQueueUrl: "https://sqs.us-east-1.amazonaws.com/000000000000/updates",
    metricsNamespace: "FleetOTA",
    log: { debug() {}, info() {}, warn() {}, error() {} },
  };
  return { table, bucket, queue, dependencies, gateways };
}

/** One invocation's scope, as the handler makes it; `campaigns` are the running ones its query finds, counted in `campaignQueries`. */
function invocation(dependencies: ProcessorDependencies, campaigns: CampaignDefinition[] = [], campaignQueries = { count: 0 }): InvocationScope {
  return {
    aggregate: new InvocationAggregate(),
    inFlight: new Map(),
    campaigns: cachedCampaigns({
      campaigns: {
        list: async () => {
          campaignQueries.count++;
          return campaigns.map((definition, index) => ({ campaignId: `c-${index}`, state: "RUNNING", definition }) as unknown as Campaign);
        },
      },
    }).forInvocation(),
    reportsHeldBack: new HeldBackTally(),
    parking: { s3: dependencies.s3, bucket: BUCKET, tally: new ParkedTally() },
  };
}

/** `count` valid records of the vehicle, gzip NDJSON, sequence numbers from `from`. */
function records(count: number, from = 0): Buffer {
  const now = Date.now();
  return gzipped(Array.from({ length: count }, (_, index) => telemetryRecord({ vin: VIN, ts: new Date(now - 60_000 + index * 1_000).toISOString(), seq: from + index })));
}

/** The "Object Created" event S3 sends for one object version (`versionId` undefined: an event without `version-id`). */
function objectCreated(key: string, etag: string, size: number, versionId?: string): string {
  const object = { key, size, etag, ...(versionId === undefined ? {} : { "version-id": versionId }) };
  return JSON.stringify({ "detail-type": "Object Created", source: "aws.s3", time: new Date().toISOString(), detail: { bucket: { name: BUCKET }, object } });
}

const ledgerKeyOf = (key: string, etag: string) => `${OBJECT_PK_PREFIX}${BUCKET}/${key}\u0000${etag}`;

/** A vehicle's object of RECORDS valid records, stored; returns the queue message announcing it (no version id) and its ledger key. */
function upload(bucket: ReturnType<typeof memoryBucket>, name: string) {
  const key = vehicleTelemetryKey(VIN, Date.now(), name);
  const body = records(RECORDS);
  const etag = `etag-${name}`;
  bucket.put(key, body, etag);
  return { message: objectCreated(key, etag, body.length), ledgerKey: ledgerKeyOf(key, etag) };
}

/**
 * An uploader that writes its key twice at once (PUT K ← C1, then PUT K ← C2, before any event is handled):
 * the two versions with their events, with or without the events' version ids.
 */
function overwrite(bucket: ReturnType<typeof memoryBucket>, name: string, withVersionIds: boolean) {
  const key = vehicleTelemetryKey(VIN, Date.now(), name);
  return [
    { records: 12, body: records(12), etag: `etag-${name}-1` },
    { records: 7, body: records(7, 100), etag: `etag-${name}-2` },
  ].map((version) => {
    const versionId = bucket.put(key, version.body, version.etag);
    return { ...version, key, versionId, message: objectCreated(key, version.etag, version.body.length, withVersionIds ? versionId : undefined), ledgerKey: ledgerKeyOf(key, version.etag) };
  });
}

test("a fleet gateway speaks for no vehicle in a campaign: its record for a registered VIN, described as registered, parked and charged, is telemetry only; the same record in the vehicle's own object is a candidate", async () => {
  const { bucket, queue, dependencies, gateways } = world();
  const OTHER = "1M8GDM9AXKP042788";
  gateways.bound.set("gw-depot-7", new Set([VIN, OTHER]));
  // What the gateway would need for the attack: the VIN's registered make, model, hardware and year (the factory's
  // defaults), a firmware the campaign updates from, and every precondition a DEFERRED job waits for met.
  const campaign = parseCampaignDefinition({ name: "accord", targetVersion: "2.4.1", selector: { makes: ["Honda"], models: ["Accord"], currentVersionRange: "<2.4.1" }, preconditions: { minStateOfChargePercent: 30 } });
  const now = Date.now();
  const line = (vin: string, seq: number) =>
    telemetryRecord({ vin, ts: new Date(now - 10_000 + seq).toISOString(), seq, position: { speedKph: 0 }, battery: { stateOfCharge: 100 }, firmware: { version: "2.3.0" } });
  const deliver = async (key: string, lines: unknown[]) => {
    const body = gzipped(lines);
    bucket.put(key, body, `etag-${key.length}-${lines.length}`);
    const queries = { count: 0 };
    const scope = invocation(dependencies, [campaign], queries);
    const outcome = await processTelemetryMessage(objectCreated(key, `etag-${key.length}-${lines.length}`, body.length), dependencies, scope);
    const sent = queue.sent.splice(0).map((text) => JSON.parse(text) as UpdateMessage);
    return { outcome, scope, sent, queries: queries.count };
  };

  const carried = await deliver(fleetTelemetryKey("gw-depot-7", now, "forged"), [line(VIN, 1), line(OTHER, 2)]);
  assert.is(carried.outcome, "processed");
  assert.equal(carried.sent, [], "no candidate (so no admission, no waiting place, no preconditions event), no report");
  assert.is(carried.queries, 0, "the running campaigns are not even looked up for a gateway's object");
  assert.is(carried.scope.aggregate.dataPoints, 2, "its records still count as telemetry");
  assert.equal(carried.scope.aggregate.fleetVehicles().map((vehicle) => vehicle.vin).sort(), [VIN, OTHER].sort(), "and still feed the fleet state");
  assert.equal(carried.scope.aggregate.fleetVehicles().map((vehicle) => vehicle.source), ["gateway", "gateway"], "as a gateway's entries, which a vehicle's own outrank");

  const own = await deliver(vehicleTelemetryKey(VIN, now, "own"), [line(VIN, 1)]);
  assert.is(own.outcome, "processed");
  assert.equal(own.sent.map((message) => [message.kind, message.kind === "candidate" ? message.vehicle.vin : ""]), [["candidate", VIN]], "the vehicle's own word is a candidate");
  assert.equal(own.scope.aggregate.fleetVehicles().map((vehicle) => [vehicle.vin, vehicle.source]), [[VIN, "vehicle"]]);
});

test("a gateway's records for VINs not bound to it are refused (vehicle-not-bound), quarantined with the reason and counted; its bound VINs count; another gateway's VIN is refused", async () => {
  const { bucket, dependencies, gateways } = world();
  const OTHER = "1M8GDM9AXKP042788";
  const INVENTED = "WP0ZZZ99ZTS000001";
  gateways.bound.set("gw-depot-7", new Set([VIN]));
  gateways.bound.set("gw-depot-8", new Set([OTHER]));
  const now = Date.now();
  const lines = [VIN, OTHER, INVENTED].map((vin, seq) => telemetryRecord({ vin, ts: new Date(now - 10_000 + seq).toISOString(), seq }));
  const key = fleetTelemetryKey("gw-depot-7", now, "flood");
  const body = gzipped(lines);
  bucket.put(key, body, "etag-flood");
  const scope = invocation(dependencies);

  const outcome = await processTelemetryMessage(objectCreated(key, "etag-flood", body.length), dependencies, scope);

  assert.is(outcome, "processed");
  assert.equal(scope.aggregate.fleetVehicles().map((vehicle) => vehicle.vin), [VIN], "only the bound VIN reaches the fleet state");
  assert.is(scope.aggregate.recordsRejected, 2);
  assert.equal(Object.fromEntries(scope.aggregate.refusals), { "vehicle-not-bound": 2 }, "counted under Telemetry/Refusals by their reason");
  assert.equal(bucket.writes.filter((written) => written.startsWith("quarantine/records/")).length, 1, "the refused lines are quarantined with their reasons");
});

test("a gateway nobody bound carries no vehicle: every record refused; a failure to read the binding is transient (retried, nothing quarantined or recorded)", async () => {
  const { table, bucket, dependencies, gateways } = world();
  const now = Date.now();
  const key = fleetTelemetryKey("gw-unknown-1", now, "any");
  const body = gzipped([telemetryRecord({ vin: VIN, ts: new Date(now - 10_000).toISOString(), seq: 1 })]);
  bucket.put(key, body, "etag-unknown");

  gateways.state.failing = Object.assign(new Error("SlowDown"), { name: "SlowDown" });
  const failure = await processTelemetryMessage(objectCreated(key, "etag-unknown", body.length), dependencies, invocation(dependencies)).then(
    (outcome) => new Error(`not retried: ${outcome}`),
    (error: unknown) => error as Error,
  );
  assert.is(failure.name, "SlowDown", "the message fails and is retried");
  assert.equal(bucket.writes, [], "nothing quarantined on a binding not read");
  assert.is(table.items.get(ledgerKeyOf(key, "etag-unknown")), undefined, "not recorded: the redelivery does the work");

  gateways.state.failing = undefined;
  const scope = invocation(dependencies);
  assert.is(await processTelemetryMessage(objectCreated(key, "etag-unknown", body.length), dependencies, scope), "processed");
  assert.is(scope.aggregate.dataPoints, 0);
  assert.equal(Object.fromEntries(scope.aggregate.refusals), { "vehicle-not-bound": 1 });
});

/**
 * A processor reading each gateway's VINs as the handler does (cachedGatewayVehicles), from a stand-in store of
 * the gateways' documents whose reads are counted, on a clock the test moves; `forward` delivers one object of the
 * gateway (one record per VIN, `extra` lines as given) in its own invocation.
 */
function worldOfDocuments() {
  const base = world();
  const documents = gatewayDocuments();
  const clock = { nowMs: 0 };
  base.dependencies.gatewayVehicles = cachedGatewayVehicles({ s3: documents.s3, bucket: BUCKET, now: () => clock.nowMs });
  let sequence = 0;
  const forward = async (gatewayId: string, vins: string[], extra: unknown[] = []) => {
    const now = Date.now();
    const name = `object-${sequence++}`;
    const key = fleetTelemetryKey(gatewayId, now, name);
    const body = gzipped([...vins.map((vin, seq) => telemetryRecord({ vin, ts: new Date(now - 10_000 + seq).toISOString(), seq })), ...extra]);
    base.bucket.put(key, body, `etag-${name}`);
    const scope = invocation(base.dependencies);
    const outcome = await processTelemetryMessage(objectCreated(key, `etag-${name}`, body.length), base.dependencies, scope);
    const quarantined = base.bucket.writes.filter((written) => written.startsWith("quarantine/records/") && written.includes(name)).length;
    return { outcome, scope, key, etag: `etag-${name}`, quarantined, refusals: Object.fromEntries(scope.aggregate.refusals), vins: scope.aggregate.fleetVehicles().map((vehicle) => vehicle.vin).sort() };
  };
  return { ...base, documents, clock, forward };
}

const NEWLY = "1M8GDM9AXKP042788";
const INVENTED_VIN = "WP0ZZZ99ZTS000001";

test("a bind written after the processor cached the gateway's VINs: the next object's records for the new VIN are accepted (one conditional GET, the object read once); other refusals keep their verdict", async () => {
  const { documents, clock, bucket, dependencies, forward } = worldOfDocuments();
  const logged: Array<[string, unknown]> = [];
  dependencies.log = { ...dependencies.log, info: (message: string, fields?: unknown) => void logged.push([message, fields]) };
  documents.bind("gw-depot-7", [VIN]);
  assert.equal((await forward("gw-depot-7", [VIN])).refusals, {}, "the processor holds the gateway's VINs from here");

  documents.bind("gw-depot-7", [VIN, NEWLY]); // fleetota gateways bind gw-depot-7 NEWLY
  clock.nowMs += GATEWAY_VEHICLES_RECHECK_MS;
  const reads = bucket.reads.count;
  const after = await forward("gw-depot-7", [VIN, NEWLY, NEWLY, INVENTED_VIN], ["not json", telemetryRecord({ vin: NEWLY, ts: "2001-01-01T00:00:00Z" })]);

  assert.is(after.outcome, "processed");
  assert.equal(after.vins, [VIN, NEWLY].sort(), "the newly bound VIN reaches the fleet state");
  assert.equal(after.scope.aggregate.fleetVehicles().map((vehicle) => vehicle.source), ["gateway", "gateway"], "re-judged records are a gateway's entries, below a vehicle's own (R13-H1)");
  assert.is(after.scope.aggregate.dataPoints, 3);
  assert.equal(after.refusals, { "vehicle-not-bound": 1, "not-json": 1, "out-of-clock-window": 1 }, "only the VIN bound to nobody is still refused; other refusals stand");
  assert.is(after.quarantined, 1, "those three lines quarantined");
  assert.equal(documents.calls.map((call) => call.ifNoneMatch), [undefined, '"v1"'], "one conditional GET");
  assert.is(bucket.reads.count - reads, 1, "the object was downloaded once");
  assert.equal(logged.map(([message, fields]) => [message.startsWith("gateway's binding changed"), (fields as { accepted: number }).accepted]), [[true, 2]], "the re-judgment is logged");
});

test("an unchanged binding: one conditional GET (a 304), and the refusals stand", async () => {
  const { documents, clock, forward } = worldOfDocuments();
  documents.bind("gw-depot-7", [VIN]);
  await forward("gw-depot-7", [VIN]);
  clock.nowMs += GATEWAY_VEHICLES_RECHECK_MS;

  const after = await forward("gw-depot-7", [VIN, INVENTED_VIN]);

  assert.equal(after.refusals, { "vehicle-not-bound": 1 });
  assert.is(after.quarantined, 1);
  assert.equal(documents.calls.map((call) => call.ifNoneMatch), [undefined, '"v1"']);
});

test("a flood of objects naming unbound VINs from one gateway within the recheck interval: one re-read in all (concurrent objects share it); none when no record is refused", async () => {
  const { documents, clock, forward } = worldOfDocuments();
  documents.bind("gw-flood-1", [VIN]);
  for (let index = 0; index < 20; index++) await forward("gw-flood-1", [VIN]);
  assert.is(documents.calls.length, 1, "steady state: no request per object past the cache's");

  clock.nowMs += GATEWAY_VEHICLES_RECHECK_MS;
  const flood = await Promise.all(Array.from({ length: 20 }, () => forward("gw-flood-1", [VIN, INVENTED_VIN])));
  for (let index = 0; index < 20; index++) {
    clock.nowMs += GATEWAY_VEHICLES_RECHECK_MS / 40;
    flood.push(await forward("gw-flood-1", [INVENTED_VIN]));
  }

  assert.ok(flood.every((sent) => sent.refusals["vehicle-not-bound"] === 1 && sent.quarantined === 1));
  assert.equal(documents.calls.map((call) => call.ifNoneMatch), [undefined, '"v1"'], "40 objects with refusals in one interval: one conditional GET");
});

test("an unbind counts as documented: the object judged with the cached copy still counts the VIN; once a re-read brought the newer copy, the next object refuses it; a bind in the same change counts at once", async () => {
  const { documents, clock, forward } = worldOfDocuments();
  const LEAVING = INVENTED_VIN;
  documents.bind("gw-depot-7", [VIN, LEAVING]);
  await forward("gw-depot-7", [VIN]);

  documents.bind("gw-depot-7", [VIN, NEWLY]); // unbind LEAVING, bind NEWLY
  clock.nowMs += GATEWAY_VEHICLES_RECHECK_MS;
  const first = await forward("gw-depot-7", [LEAVING, NEWLY]);
  assert.equal(first.refusals, {}, "NEWLY accepted at once; LEAVING within the cache period of its unbind, as documented");
  assert.equal(first.vins, [LEAVING, NEWLY].sort());

  const next = await forward("gw-depot-7", [LEAVING, NEWLY]);
  assert.equal(next.refusals, { "vehicle-not-bound": 1 }, "the cache holds the newer copy: LEAVING refused");
  assert.equal(next.vins, [NEWLY]);
  assert.is(documents.calls.length, 2, "no GET for the second object: its copy was checked within the interval");

  const unbindOnly = worldOfDocuments();
  unbindOnly.documents.bind("gw-depot-7", [VIN, LEAVING]);
  await unbindOnly.forward("gw-depot-7", [VIN]);
  unbindOnly.documents.bind("gw-depot-7", [VIN]);
  unbindOnly.clock.nowMs += GATEWAY_VEHICLES_CACHE_MS - 1;
  assert.equal((await unbindOnly.forward("gw-depot-7", [LEAVING])).refusals, {}, "no refusal, no re-read: accepted within the cache period");
  unbindOnly.clock.nowMs += 1;
  assert.equal((await unbindOnly.forward("gw-depot-7", [LEAVING])).refusals, { "vehicle-not-bound": 1 }, "refused from one cache period after the unbind");
});

test("a failure to re-read the binding before refusing: GatewayVehiclesUnreadableError (retried), nothing quarantined or recorded; the redelivery accepts the bound record", async () => {
  const { table, documents, clock, bucket, dependencies, forward } = worldOfDocuments();
  documents.bind("gw-depot-7", [VIN]);
  await forward("gw-depot-7", [VIN]);
  documents.bind("gw-depot-7", [VIN, NEWLY]);
  clock.nowMs += GATEWAY_VEHICLES_RECHECK_MS;
  documents.state.failWith = s3Error("SlowDown", 503);
  const writes = bucket.writes.length;

  const failure = await forward("gw-depot-7", [NEWLY]).then((sent) => new Error(`not retried: ${sent.outcome}`), (error: unknown) => error);

  assert.instance(failure, GatewayVehiclesUnreadableError);
  assert.is(bucket.writes.length, writes, "nothing quarantined on a binding not read");
  const key = [...bucket.objects.keys()].at(-1)!;
  assert.is(table.items.get(ledgerKeyOf(key, "etag-object-1")), undefined, "not recorded: the redelivery does the work");

  documents.state.failWith = undefined;
  clock.nowMs += GATEWAY_VEHICLES_RECHECK_MS;
  const scope = invocation(dependencies);
  const body = bucket.objects.get(key)!.at(-1)!.body;
  assert.is(await processTelemetryMessage(objectCreated(key, "etag-object-1", body.length), dependencies, scope), "processed");
  assert.equal(scope.aggregate.fleetVehicles().map((vehicle) => vehicle.vin), [NEWLY]);
});

/** `count` records of one VIN, about 490 bytes of text each: 9,000 pass the 4 MiB of refused text (DEFAULT_READ_LIMITS.maxRejectedBytes). */
const recordsOf = (vin: string, count: number) => {
  const now = Date.now();
  return Array.from({ length: count }, (_, seq) => telemetryRecord({ vin, ts: new Date(now - 60_000 + seq).toISOString(), seq }));
};

test("R13-L4: a bind counts for a gateway's object whose newly bound VINs' lines pass the refused-text limit: read once more against the newer binding (not quarantined whole)", async () => {
  const { documents, clock, bucket, dependencies, forward } = worldOfDocuments();
  const logged: Array<[string, unknown]> = [];
  dependencies.log = { ...dependencies.log, info: (message: string, fields?: unknown) => void logged.push([message, fields]) };
  documents.bind("gw-depot-7", [VIN]);
  await forward("gw-depot-7", [VIN]); // the processor caches VIN only

  documents.bind("gw-depot-7", [VIN, NEWLY]); // a depot's cars moved to the gateway (--move)
  clock.nowMs += GATEWAY_VEHICLES_RECHECK_MS;
  const reads = bucket.reads.count;
  const big = await forward("gw-depot-7", [VIN], recordsOf(NEWLY, 9_000));

  assert.is(big.outcome, "processed", "not quarantined whole as too-many-rejected");
  assert.is(big.scope.aggregate.dataPoints, 9_001, "VIN's record, bound all along, and NEWLY's 9,000");
  assert.equal(big.refusals, {});
  assert.equal(big.vins, [VIN, NEWLY].sort());
  assert.is(bucket.reads.count - reads, 2, "the object read twice: once on the cached binding, once on the newer");
  assert.equal(documents.calls.map((call) => call.ifNoneMatch), [undefined, '"v1"'], "one conditional GET for the binding");
  assert.not.ok(bucket.writes.some((written) => written.startsWith("quarantine/")), "nothing quarantined");
  assert.equal(logged.map(([message, fields]) => [message.includes("read again"), (fields as { accepted: number }).accepted]), [[true, 9_001]], "the second read is logged");
});

test("a hostile gateway's flood of unbound VINs past the refused-text limit is quarantined whole without a second read while its binding is unchanged, and read at most once more per object when it changed", async () => {
  const { documents, clock, bucket, forward } = worldOfDocuments();
  documents.bind("gw-flood-1", [VIN]);
  await forward("gw-flood-1", [VIN]);
  const flood = recordsOf(INVENTED_VIN, 9_000);
  const readsOf = async (count: number) => {
    const reads = bucket.reads.count;
    const sent = await forward("gw-flood-1", [], flood);
    assert.is(sent.outcome, "quarantined");
    assert.equal(sent.refusals, { "too-many-rejected": 1 });
    assert.is(sent.scope.aggregate.dataPoints, 0);
    assert.is(bucket.reads.count - reads, count);
  };

  clock.nowMs += GATEWAY_VEHICLES_RECHECK_MS;
  await readsOf(1); // the binding re-read answers 304: no second body read
  await readsOf(1); // within the recheck interval: no binding re-read either
  assert.equal(documents.calls.map((call) => call.ifNoneMatch), [undefined, '"v1"']);

  documents.bind("gw-flood-1", [VIN, NEWLY]); // a change that does not bind the flood's VIN
  clock.nowMs += GATEWAY_VEHICLES_RECHECK_MS;
  await readsOf(2); // read once more against the newer copy, still refused: quarantined, no loop
  await readsOf(1); // the next object is judged on that copy from the start
  assert.equal(documents.calls.map((call) => call.ifNoneMatch), [undefined, '"v1"', '"v1"']);
});

/**
 * A gateway's object of one record for VIN, refused as not bound by a first attempt whose ledger completion is
 * throttled (its quarantine/records file written, the message retried), then VIN bound before the redelivery.
 */
async function refusedThenBound(delivery: Delivery, later = 0) {
  const { table, bucket, dependencies, gateways } = world();
  const key = fleetTelemetryKey("gw-depot-7", Date.now(), "retry");
  const body = gzipped([telemetryRecord({ vin: VIN, ts: new Date(Date.now() - 10_000).toISOString(), seq: 1 })]);
  bucket.put(key, body, "etag-retry");
  const message = objectCreated(key, "etag-retry", body.length);
  const records = rejectedRecordsKey({ bucket: BUCKET, key, etag: "etag-retry", size: body.length, createdAtMs: 0 });

  table.throttled.puts = true;
  const failure = await processTelemetryMessage(message, dependencies, invocation(dependencies)).then((outcome) => new Error(`not retried: ${outcome}`), (error: unknown) => error as Error);
  assert.is(failure.name, "ProvisionedThroughputExceededException", "attempt 1 fails at its ledger completion");
  assert.match(bucket.written.get(records) ?? "", /vehicle-not-bound/, "after writing the refused line to quarantine/records");

  table.throttled.puts = false;
  gateways.bound.set("gw-depot-7", new Set([VIN])); // the operator's bind reaches the processor before the redelivery
  dependencies.now = () => Date.now() + later;
  const scope = invocation(dependencies);
  const outcome = await processTelemetryMessage(message, dependencies, scope, delivery);
  const ledger = table.items.get(ledgerKeyOf(key, "etag-retry"))?.outcome?.M as Record<string, { N: string }> | undefined;
  return { outcome, scope, file: bucket.written.get(records), rejected: Number(ledger?.rejected?.N) };
}

test("R13-L2: a record refused by a failed attempt and accepted by its retry is not left in quarantine/records: the retry writes the file it judged (empty), so the file and the ledger's rejected agree", async () => {
  const retried = await refusedThenBound({ receiveCount: 2 });
  assert.is(retried.outcome, "processed");
  assert.is(retried.scope.aggregate.dataPoints, 1, "the retry accepts the record");
  assert.is(retried.rejected, 0, "the ledger records no refused line");
  assert.is(retried.file, "", "and quarantine/records holds none (counted once: processed, not quarantined)");
});

test("R13-L2: the same after a DLQ redrive (a new message, receive count 1, handled long after its object was created)", async () => {
  const redriven = await refusedThenBound({ receiveCount: 1 }, REDRIVEN_AFTER_MS);
  assert.is(redriven.outcome, "processed");
  assert.is(redriven.rejected, 0);
  assert.is(redriven.file, "");
});

test("a first delivery that refuses nothing writes nothing to quarantine (no request more on the normal path); a redelivery writes the records file empty", async () => {
  const { bucket, dependencies } = world();
  const first = upload(bucket, "clean");
  assert.is(await processTelemetryMessage(first.message, dependencies, invocation(dependencies), { receiveCount: 1 }), "processed");
  assert.equal(bucket.writes, [], "no PutObject");

  const again = upload(bucket, "clean-again");
  assert.is(await processTelemetryMessage(again.message, dependencies, invocation(dependencies), { receiveCount: 3 }), "processed");
  assert.equal(bucket.writes.map((written) => [written.startsWith("quarantine/records/"), bucket.written.get(written)]), [[true, ""]]);

  const broken = vehicleTelemetryKey(VIN, Date.now(), "broken");
  bucket.put(broken, Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x01]), "etag-broken");
  bucket.writes.length = 0;
  assert.is(await processTelemetryMessage(objectCreated(broken, "etag-broken", 5), dependencies, invocation(dependencies), { receiveCount: 2 }), "quarantined");
  assert.equal(
    bucket.writes.filter((written) => written.startsWith("quarantine/records/")).map((written) => bucket.written.get(written)),
    [""],
    "quarantined whole on a redelivery: an earlier attempt's refused lines are not left beside it",
  );
});

/**
 * Review 14, R14-T1: message M1's attempt refuses a gateway's line as not bound, writes quarantine/records and fails at
 * its ledger completion; the object's duplicate event M2 (another message, receive count 1) is handled after the bind,
 * refuses nothing and completes the ledger; then M1 comes back (`retry`: its receive count 2, or from the DLQ).
 */
async function duplicateCompletesFirst(retry: Delivery, later = 0) {
  const { table, bucket, dependencies, gateways } = world();
  const key = fleetTelemetryKey("gw-depot-7", Date.now(), "dup");
  const body = gzipped([telemetryRecord({ vin: VIN, ts: new Date(Date.now() - 10_000).toISOString(), seq: 1 })]);
  bucket.put(key, body, "etag-dup");
  const [m1, m2] = [objectCreated(key, "etag-dup", body.length), objectCreated(key, "etag-dup", body.length)];
  const records = rejectedRecordsKey({ bucket: BUCKET, key, etag: "etag-dup", size: body.length, createdAtMs: 0 });

  table.throttled.puts = true;
  await processTelemetryMessage(m1, dependencies, invocation(dependencies), { receiveCount: 1 }).then(() => assert.unreachable("attempt 1 fails"), () => undefined);
  assert.match(bucket.written.get(records) ?? "", /vehicle-not-bound/, "attempt 1 wrote the refused line");
  table.throttled.puts = false;
  gateways.bound.set("gw-depot-7", new Set([VIN]));
  const scope = invocation(dependencies);
  assert.is(await processTelemetryMessage(m2, dependencies, scope, { receiveCount: 1 }), "processed", "M2, a first delivery, accepts the record");
  assert.is(scope.aggregate.dataPoints, 1);
  dependencies.now = () => Date.now() + later;
  const outcome = await processTelemetryMessage(m1, dependencies, invocation(dependencies), retry);
  const ledger = table.items.get(ledgerKeyOf(key, "etag-dup"))?.outcome?.M as Record<string, { N: string }> | undefined;
  return { outcome, file: bucket.written.get(records), rejected: Number(ledger?.rejected?.N) };
}

test("R14-T1: a duplicate event completes the object refusing nothing after M1's failed attempt wrote a refused line: M1's retry, a duplicate, rewrites quarantine/records empty, so the file and the ledger agree", async () => {
  const retried = await duplicateCompletesFirst({ receiveCount: 2 });
  assert.is(retried.outcome, "duplicate");
  assert.is(retried.rejected, 0, "the ledger records no refused line");
  assert.is(retried.file, "", "and quarantine/records holds none");
});

test("R14-T1: the same when M1 comes back from the DLQ (a new message, receive count 1, handled long after its object was created)", async () => {
  const redriven = await duplicateCompletesFirst({ receiveCount: 1 }, REDRIVEN_AFTER_MS);
  assert.is(redriven.outcome, "duplicate");
  assert.is(redriven.file, "");
});

test("R14-T1: a duplicate that may follow an attempt rewrites the file empty only when the completion leaves it empty (refused no line, or quarantined whole); one that refused lines wrote its own file, a parked one none: left as they are", async () => {
  const cases: Array<{ outcome: Record<string, number | string>; rewritten: boolean }> = [
    { outcome: { accepted: 3, rejected: 0, statusReports: 0, candidates: 0 }, rewritten: true },
    { outcome: { quarantined: "too-many-rejected" }, rewritten: true },
    { outcome: { accepted: 2, rejected: 1, statusReports: 0, candidates: 0 }, rewritten: false },
    { outcome: { parked: "object-replaced" }, rewritten: false },
  ];
  for (const [index, { outcome, rewritten }] of cases.entries()) {
    const { bucket, dependencies } = world();
    const object = upload(bucket, `completed-${index}`);
    const { key, etag } = JSON.parse(object.message).detail.object as { key: string; etag: string };
    const records = rejectedRecordsKey({ bucket: BUCKET, key, etag, size: 0, createdAtMs: 0 });
    await completeObject({ doc: dependencies.doc, table: TABLE }, { bucket: BUCKET, key, etag, size: 0, createdAtMs: 0 }, outcome, Date.now());
    bucket.written.set(records, "an earlier attempt's refused line");
    assert.is(await processTelemetryMessage(object.message, dependencies, invocation(dependencies), { receiveCount: 2 }), "duplicate");
    assert.is(bucket.written.get(records), rewritten ? "" : "an earlier attempt's refused line", JSON.stringify(outcome));
    assert.is(bucket.writes.length, rewritten ? 1 : 0, "one PUT at most");
  }
});

test("a first delivery's duplicate check costs what it did: the one GetItem of the status alone, and a completed object is counted a duplicate without a write", async () => {
  const { table, bucket, dependencies } = world();
  const object = upload(bucket, "first");
  assert.is(await processTelemetryMessage(object.message, dependencies, invocation(dependencies), { receiveCount: 1 }), "processed");
  assert.is(await processTelemetryMessage(object.message, dependencies, invocation(dependencies), { receiveCount: 1 }), "duplicate");
  const reads = table.requests.filter((request) => request.operation === "GetItem").map((request) => [request.input.ProjectionExpression, request.input.ExpressionAttributeNames]);
  assert.equal(reads, [["#status", { "#status": "status" }], ["#status", { "#status": "status" }]]);
  assert.equal(bucket.writes, [], "no PutObject");
});

test("an object delivered once is processed and recorded; delivered again it is a duplicate that adds nothing", async () => {
  const { table, bucket, dependencies } = world();
  const object = upload(bucket, "once");
  const first = invocation(dependencies);
  assert.is(await processTelemetryMessage(object.message, dependencies, first), "processed");
  assert.is(first.aggregate.dataPoints, RECORDS);
  assert.is(table.items.get(object.ledgerKey)?.status?.S, "COMPLETED", "recorded processed");
  assert.equal(table.calls, ["GetItem", "PutItem"], "one ledger read and one write an object");
  const again = invocation(dependencies);
  assert.is(await processTelemetryMessage(object.message, dependencies, again), "duplicate");
  assert.is(again.aggregate.dataPoints, 0, "its records are not counted twice");
  assert.is(again.aggregate.duplicateObjects, 1);
  assert.is(bucket.reads.count, 1, "a recorded object is not read again");
  assert.equal(table.calls, ["GetItem", "PutItem", "GetItem"], "nor written again");
});

test("the same object in two invocations at once: both read it, its records count once, the other counts a duplicate", async () => {
  const { bucket, dependencies } = world();
  const object = upload(bucket, "concurrent");
  bucket.hold();
  const [one, two] = [invocation(dependencies), invocation(dependencies)];
  const outcomes = [processTelemetryMessage(object.message, dependencies, one), processTelemetryMessage(object.message, dependencies, two)];
  while (bucket.reads.count < 2) await new Promise((resolve) => setImmediate(resolve));
  bucket.release();
  assert.equal((await Promise.all(outcomes)).sort(), ["duplicate", "processed"]);
  assert.is(one.aggregate.dataPoints + two.aggregate.dataPoints, RECORDS, "its records are counted once");
  assert.is(one.aggregate.duplicateObjects + two.aggregate.duplicateObjects, 1);
  assert.is(one.aggregate.fleetVehicles().length + two.aggregate.fleetVehicles().length, 1, "one fleet-state entry for the vehicle");
});

test("a read that fails mid-body is transient: the message is retried, nothing is quarantined or recorded", async () => {
  const { table, bucket, dependencies } = world();
  const object = upload(bucket, "reset");
  const s3 = bucket.s3 as unknown as { send: (command: { constructor: { name: string } }) => Promise<unknown> };
  const send = s3.send.bind(s3);
  s3.send = async (command) => {
    if (command.constructor.name !== "GetObjectCommand") return send(command);
    const body = (async function* () {
      yield Buffer.from([0x1f, 0x8b, 0x08, 0x00]);
      throw Object.assign(new Error("aborted"), { code: "ECONNRESET" });
    })();
    return { Body: body };
  };
  const failure = await processTelemetryMessage(object.message, dependencies, invocation(dependencies)).then(
    (outcome) => new Error(`not retried: ${outcome}`),
    (error: unknown) => error as Error,
  );
  assert.is(failure.message, "aborted", "the source's error fails the message (it is retried)");
  assert.equal(bucket.writes, [], "nothing quarantined");
  assert.is(table.items.get(object.ledgerKey), undefined, "not recorded: the redelivery does the work");
});

test("the ledger's answer lost after its write (a 500, the SDK retries the put): the object is still counted, once", async () => {
  const { table, bucket, dependencies } = world();
  const object = upload(bucket, "lost-answer");
  table.lost.puts = 1;
  const scope = invocation(dependencies);
  const outcome = await processTelemetryMessage(object.message, dependencies, scope);
  assert.is(table.calls.filter((call) => call === "PutItem").length >= 2, true, "the SDK retried the put");
  assert.is(table.items.get(object.ledgerKey)?.status?.S, "COMPLETED", "recorded processed");
  assert.is(outcome, "processed", "the delivery whose put was written counts the object, not a duplicate");
  assert.is(scope.aggregate.dataPoints, RECORDS, "its records are counted (DataPoints, fleet state)");
  assert.is(scope.aggregate.duplicateObjects, 0);
});

test("a marker left IN_PROGRESS by the previous ledger (a lease whose holder died) does not make the object a duplicate", async () => {
  const { table, bucket, dependencies } = world();
  const object = upload(bucket, "old-lease");
  const [pk, sk] = object.ledgerKey.split("\u0000");
  table.items.set(object.ledgerKey, { pk: { S: pk }, sk: { S: sk }, status: { S: "IN_PROGRESS" }, leaseUntil: { N: String(Date.now() - 60_000) } });
  const scope = invocation(dependencies);
  const outcome = await processTelemetryMessage(object.message, dependencies, scope);
  assert.is(outcome, "processed", "the object was never processed: its redelivery must do it");
  assert.is(scope.aggregate.dataPoints, RECORDS);
});

// ── each event reads the version it names (review finding F3) ───────────────────────────────────

test("a key overwritten before its events are handled: each event reads its own version by id, both are counted once", async () => {
  const { table, bucket, dependencies } = world();
  const [first, second] = overwrite(bucket, "overwritten", true);
  const scope = invocation(dependencies);
  assert.is(await processTelemetryMessage(first!.message, dependencies, scope), "processed");
  assert.is(await processTelemetryMessage(second!.message, dependencies, scope), "processed");
  const outcomeOf = (ledgerKey: string) => table.items.get(ledgerKey)?.outcome?.M as Record<string, { N: string }> | undefined;
  assert.is(outcomeOf(first!.ledgerKey)?.accepted?.N, "12", "the first version's records are recorded for it, not the newer body's");
  assert.is(outcomeOf(second!.ledgerKey)?.accepted?.N, "7");
  assert.is(scope.aggregate.dataPoints, 12 + 7, "conserved: each version's records counted exactly once");
  assert.is(scope.aggregate.duplicateObjects, 0);
});

test("an overwritten key whose event names no version: parked as object-replaced and counted, never read as the newer body", async () => {
  const { table, bucket, dependencies } = world();
  const [first, second] = overwrite(bucket, "replaced", false);
  const scope = invocation(dependencies);
  assert.is(await processTelemetryMessage(first!.message, dependencies, scope), "parked");
  assert.is(await processTelemetryMessage(second!.message, dependencies, scope), "processed");
  assert.equal(table.items.get(first!.ledgerKey)?.outcome, { M: { parked: { S: "object-replaced" } } }, "the first event is complete, as parked");
  assert.equal(scope.parking.tally.byReason(), { "object-replaced": 1 }, "counted in Reliability/MessagesParked");
  assert.ok(bucket.writes.some((key) => key.startsWith("parked/telemetry-processor/")), "its parked record is written");
  assert.is(scope.aggregate.dataPoints, 7, "the newer body counts once, for its own event only");
});

test("the event's version deleted before it was read (lifecycle): parked as object-missing, the current version not read in its place", async () => {
  const { table, bucket, dependencies } = world();
  const [first] = overwrite(bucket, "expired", true);
  bucket.objects.set(first!.key, bucket.objects.get(first!.key)!.filter((version) => version.versionId !== first!.versionId));
  const scope = invocation(dependencies);
  assert.is(await processTelemetryMessage(first!.message, dependencies, scope), "parked");
  assert.equal(table.items.get(first!.ledgerKey)?.outcome, { M: { parked: { S: "object-missing" } } });
  assert.equal(scope.parking.tally.byReason(), { "object-missing": 1 });
  assert.is(scope.aggregate.dataPoints, 0);
});

test("a corrupt version under an overwritten key: the quarantine copies that version, bound to its ETag", async () => {
  const { bucket, dependencies } = world();
  const key = vehicleTelemetryKey(VIN, Date.now(), "corrupt-then-good");
  const corrupt = Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x01, 0x02]);
  const corruptVersion = bucket.put(key, corrupt, "etag-corrupt");
  bucket.put(key, records(5), "etag-good");
  const scope = invocation(dependencies);
  assert.is(await processTelemetryMessage(objectCreated(key, "etag-corrupt", corrupt.length, corruptVersion), dependencies, scope), "quarantined");
  assert.equal(bucket.copies.length, 1);
  assert.match(String(bucket.copies[0]!.CopySource), new RegExp(`\\?versionId=${corruptVersion}$`), "the corrupt version is copied, not the key's newest");
  assert.is(bucket.copies[0]!.CopySourceIfMatch, '"etag-corrupt"');
  assert.is(scope.aggregate.dataPoints, 0);
});

// ── a read that fails as AWS answers it: 404 (the object is not there) or 403 (the role is refused; R2-a) ──

/** One HTTP request the real S3 client sent. */
interface S3Request {
  method: string;
  path: string;
  query: Record<string, string | string[] | null>;
  headers: Record<string, string>;
}

/** AWS's error documents, as S3 sends them (REST-XML, `application/xml`). */
const AWS_ERROR = {
  NoSuchKey: (key: string) => ({ status: 404, xml: `<Code>NoSuchKey</Code><Message>The specified key does not exist.</Message><Key>${key}</Key>` }),
  NoSuchVersion: (key: string, versionId: string) => ({
    status: 404,
    xml: `<Code>NoSuchVersion</Code><Message>The specified version does not exist.</Message><Key>${key}</Key><VersionId>${versionId}</VersionId>`,
  }),
  AccessDenied: () => ({ status: 403, xml: "<Code>AccessDenied</Code><Message>Access Denied</Message>" }),
  InvalidObjectState: () => ({ status: 403, xml: "<Code>InvalidObjectState</Code><Message>The operation is not valid for the object's storage class</Message><StorageClass>GLACIER</StorageClass>" }),
  ObjectNotInActiveTierError: () => ({
    status: 403,
    xml: "<Code>ObjectNotInActiveTierError</Code><Message>The source object of the COPY operation is not in the active tier and is only stored in Amazon Glacier.</Message>",
  }),
  SseCustomerKeyRequired: () => ({
    status: 400,
    xml: "<Code>InvalidRequest</Code><Message>The object was stored using a form of Server Side Encryption. The correct parameters must be provided to retrieve the object.</Message>",
  }),
  PreconditionFailed: () => ({ status: 412, xml: "<Code>PreconditionFailed</Code><Message>At least one of the pre-conditions you specified did not hold</Message><Condition>If-Match</Condition>" }),
  /** Any S3 answer by status, code and message: AWS may reword a message, or add a code. */
  Coded: (status: number, code: string, message: string) => ({ status, xml: `<Code>${code}</Code><Message>${message}</Message>` }),
} as const;

/**
 * The real S3 client (its own error parsing: `NoSuchKey` class, `NoSuchVersion` and `AccessDenied` by name,
 * the HTTP status in `$metadata`) over `answer`: an AWS error document for the requests it picks, 200 for
 * every other (a copy's result, a write's ETag). The processor meets exactly the errors the SDK makes of what AWS sends.
 */
function awsS3(answer: (request: S3Request) => { status: number; xml: string } | undefined, options: { maxAttempts?: number } = {}) {
  const requests: S3Request[] = [];
  /** The keys of the PUTs (writes, copies) S3 answered 200. */
  const written: string[] = [];
  const reply = (statusCode: number, body: string) => ({
    response: { statusCode, headers: { "content-type": "application/xml", "x-amz-request-id": "UNIT0000", etag: '"written"' }, body: Readable.from([Buffer.from(body)]) },
  });
  const handler = {
    metadata: { handlerProtocol: "http/1.1" },
    async handle(request: S3Request) {
      requests.push(request);
      const failure = answer(request);
      if (failure) return reply(failure.status, `<?xml version="1.0" encoding="UTF-8"?>\n<Error>${failure.xml}<RequestId>UNIT0000</RequestId><HostId>unit</HostId></Error>`);
      if (request.method === "PUT") written.push(decodeURIComponent(request.path.slice(`/${BUCKET}/`.length)));
      const copied = request.headers["x-amz-copy-source"] !== undefined;
      return reply(200, copied ? '<?xml version="1.0" encoding="UTF-8"?>\n<CopyObjectResult><ETag>"copied"</ETag></CopyObjectResult>' : "");
    },
    updateHttpClientConfig() {},
    httpHandlerConfigs: () => ({}),
    destroy() {},
  };
  const s3 = new S3Client({ region: "us-east-1", forcePathStyle: true, credentials: { accessKeyId: "AKIAUNIT", secretAccessKey: "unit" }, requestHandler: handler, ...options });
  const reads = () => requests.filter((request) => request.method === "GET");
  const copies = () => requests.filter((request) => request.headers["x-amz-copy-source"] !== undefined);
  return { s3, requests, reads, copies, writes: () => written };
}

/** `dependencies` whose log keeps each warning's `detail` in `details`. */
function keepingWarnDetails<T extends { log: { warn: unknown } }>(dependencies: T): { logged: T; details: unknown[] } {
  const details: unknown[] = [];
  return { logged: { ...dependencies, log: { ...dependencies.log, warn: (_message: string, fields?: Record<string, unknown>) => details.push(fields?.detail) } }, details };
}

/** The world with S3 answered by `awsS3`; the parking writes go through the same client. */
function worldOnAws(answer: Parameters<typeof awsS3>[0], options?: Parameters<typeof awsS3>[1]) {
  const { table, dependencies } = world();
  const s3 = awsS3(answer, options);
  const scoped = { ...dependencies, s3: s3.s3 };
  const scope = invocation(scoped);
  return { table, s3, dependencies: scoped, scope };
}

const isRead = (key: string) => (request: S3Request) => request.method === "GET" && decodeURIComponent(request.path) === `/${BUCKET}/${key}`;
const rejection = (pending: Promise<unknown>): Promise<unknown> => pending.then((outcome) => new Error(`not retried: ${String(outcome)}`), (error: unknown) => error);

test("a missing object answers 404 (the role may list telemetry/): NoSuchKey and NoSuchVersion, as the SDK makes them, are parked object-missing and counted, never retried", async () => {
  const key = vehicleTelemetryKey(VIN, Date.now(), "gone");
  for (const [versionId, failure] of [[undefined, AWS_ERROR.NoSuchKey(key)], ["3HL4kqtJlcpXroDTDmJ", AWS_ERROR.NoSuchVersion(key, "3HL4kqtJlcpXroDTDmJ")]] as const) {
    const { table, s3, dependencies, scope } = worldOnAws((request) => (isRead(key)(request) ? failure : undefined));

    const outcome = await processTelemetryMessage(objectCreated(key, "etag-gone", 100, versionId), dependencies, scope);

    assert.is(outcome, "parked", failure.xml);
    assert.equal(s3.reads()[0]?.query.versionId ?? undefined, versionId, "the event's version was asked for");
    assert.equal(scope.parking.tally.byReason(), { "object-missing": 1 }, "counted in Reliability/MessagesParked");
    assert.ok(s3.writes().some((written) => written.startsWith("parked/telemetry-processor/")), "its parked record is written");
    assert.equal(table.items.get(ledgerKeyOf(key, "etag-gone"))?.outcome, { M: { parked: { S: "object-missing" } } });
  }
});

test("a raw-looking key (dt%3D…) whose decoded form answers 404: the event's own object, the raw key, is quarantined whole", async () => {
  const stored = vehicleTelemetryKey(VIN, Date.now(), "raw");
  const raw = stored.replace("/dt=", "/dt%3D").replace("/hour=", "/hour%3D");
  const { s3, dependencies, scope } = worldOnAws((request) => (isRead(stored)(request) ? AWS_ERROR.NoSuchKey(stored) : undefined));

  const outcome = await processTelemetryMessage(objectCreated(raw, "etag-raw", 100, "v-raw"), dependencies, scope);

  assert.is(outcome, "quarantined");
  assert.is(s3.copies().length, 1);
  assert.is(decodeURIComponent(s3.copies()[0]!.headers["x-amz-copy-source"]!), `${BUCKET}/${raw}?versionId=v-raw`, "the raw key's own version is copied");
  assert.is(scope.aggregate.objectsQuarantined, 1);
});

test("a 403 AccessDenied (the role refused: configuration, never a missing object once it may list) is retried: not parked, quarantined, recorded or read as another object", async () => {
  const stored = vehicleTelemetryKey(VIN, Date.now(), "denied");
  const raw = stored.replace("/dt=", "/dt%3D");
  const outsideLayout = `telemetry/vehicle/${VIN}/not-the-layout.bin`;
  const cases = [
    { what: "the event's object", key: stored, message: objectCreated(stored, "etag-denied", 100, "v1"), denied: isRead(stored) },
    { what: "the decoded form of a raw-looking key", key: raw, message: objectCreated(raw, "etag-denied", 100, "v1"), denied: isRead(stored) },
    { what: "the quarantine copy of a key outside the layout", key: outsideLayout, message: objectCreated(outsideLayout, "etag-denied", 100, "v1"), denied: (request: S3Request) => request.headers["x-amz-copy-source"] !== undefined },
  ];
  for (const { what, key, message, denied } of cases) {
    const { table, s3, dependencies, scope } = worldOnAws((request) => (denied(request) ? AWS_ERROR.AccessDenied() : undefined));

    const failure = await rejection(processTelemetryMessage(message, dependencies, scope));

    assert.instance(failure, ObjectReadDeniedError, what);
    assert.is(((failure as ObjectReadDeniedError).cause as S3ServiceException).$metadata.httpStatusCode, 403, "AWS's answer is kept as the cause");
    assert.match((failure as Error).message, "s3:ListBucket", "the error says what to check");
    assert.equal(scope.parking.tally.byReason(), {}, `${what}: nothing parked`);
    assert.equal(s3.writes(), [], `${what}: nothing written (no quarantine copy, no parked record)`);
    assert.is(table.items.get(ledgerKeyOf(key, "etag-denied")), undefined, `${what}: not recorded, so the redelivery (or a redrive) does the work`);
  }
});

test("an object stored so that no read succeeds (archived: 403 InvalidObjectState, its copy 403 ObjectNotInActiveTierError; SSE-C: 400) is parked object-unreadable, counted and recorded, not retried as a denial (review 18, R18-T1)", async () => {
  const stored = vehicleTelemetryKey(VIN, Date.now(), "unreadable");
  const outsideLayout = `telemetry/vehicle/${VIN}/not-the-layout.bin`;
  const isCopy = (request: S3Request) => request.headers["x-amz-copy-source"] !== undefined;
  const cases = [
    { what: "an archived object", key: stored, answer: (request: S3Request) => (isRead(stored)(request) ? AWS_ERROR.InvalidObjectState() : undefined), says: "archive storage class" },
    { what: "the quarantine copy of an archived object outside the layout", key: outsideLayout, answer: (request: S3Request) => (isCopy(request) ? AWS_ERROR.ObjectNotInActiveTierError() : undefined), says: "archive storage class" },
    { what: "an SSE-C object", key: stored, answer: (request: S3Request) => (isRead(stored)(request) ? AWS_ERROR.SseCustomerKeyRequired() : undefined), says: "400 InvalidRequest: The object was stored using a form of Server Side Encryption" },
  ];
  for (const { what, key, answer, says } of cases) {
    const { table, s3, dependencies, scope } = worldOnAws(answer);
    const { logged, details } = keepingWarnDetails(dependencies);

    const outcome = await processTelemetryMessage(objectCreated(key, "etag-unreadable", 100, "v1"), logged, scope);

    assert.is(outcome, "parked", what);
    assert.equal(scope.parking.tally.byReason(), { "object-unreadable": 1 }, `${what}: counted in Reliability/MessagesParked`);
    assert.ok(s3.writes().some((written) => written.startsWith("parked/telemetry-processor/")), `${what}: its parked record is written`);
    assert.equal(table.items.get(ledgerKeyOf(key, "etag-unreadable"))?.outcome, { M: { parked: { S: "object-unreadable" } } }, `${what}: recorded, so a redelivery is a duplicate`);
    assert.ok(details.some((detail) => String(detail).includes(says)), `${what}: the detail says how it is stored (${details.join(" | ")})`);
  }
});

// A verdict by S3's code and status, not its wording (review 21 of R18-T1): the 400 to a read the processor sends alike for
// every object is the object's; throttling, timeouts, 5xx, the processor's credentials and the bucket's key are not.

test("a 400 to the read of an existing object is parked object-unreadable whatever S3's words: SSE-C reworded, another code, InvalidArgument; the detail keeps S3's code and message", async () => {
  const stored = vehicleTelemetryKey(VIN, Date.now(), "reworded");
  const cases = [
    AWS_ERROR.Coded(400, "InvalidRequest", "Objects encrypted with customer-provided keys need those keys to be read."),
    AWS_ERROR.Coded(400, "InvalidRequest", ""),
    AWS_ERROR.Coded(400, "SseCustomerKeyMissing", "A code S3 does not answer today."),
    AWS_ERROR.Coded(400, "InvalidArgument", "Invalid version id specified"),
  ];
  for (const failure of cases) {
    const { table, s3, dependencies, scope } = worldOnAws((request) => (isRead(stored)(request) ? failure : undefined));
    const { logged, details } = keepingWarnDetails(dependencies);

    const outcome = await processTelemetryMessage(objectCreated(stored, "etag-reworded", 100, "v1"), logged, scope);

    const [, code, message] = /<Code>(.*)<\/Code><Message>(.*)<\/Message>/.exec(failure.xml)!;
    assert.is(outcome, "parked", failure.xml);
    assert.is(s3.reads().length, 1, `${failure.xml}: read once, not retried by the SDK either`);
    assert.equal(scope.parking.tally.byReason(), { "object-unreadable": 1 }, `${failure.xml}: counted`);
    assert.equal(table.items.get(ledgerKeyOf(stored, "etag-reworded"))?.outcome, { M: { parked: { S: "object-unreadable" } } }, `${failure.xml}: recorded`);
    assert.ok(details.some((detail) => String(detail).includes(`S3 answered 400 ${code}: ${message}`)), `${failure.xml}: S3's code and message in the detail (${details.join(" | ")})`);
  }
});

test("an answer a retry or a fixed configuration can change stays transient: throttling, timeouts, 5xx, the processor's credentials and signature, the bucket's KMS key, a 400 without S3's code, a conflict: not parked, quarantined or recorded", async () => {
  const stored = vehicleTelemetryKey(VIN, Date.now(), "transient");
  const cases = [
    AWS_ERROR.Coded(503, "SlowDown", "Please reduce your request rate."),
    AWS_ERROR.Coded(503, "ServiceUnavailable", "Service is unable to handle request."),
    AWS_ERROR.Coded(500, "InternalError", "We encountered an internal error. Please try again."),
    AWS_ERROR.Coded(400, "RequestTimeout", "Your socket connection to the server was not read from or written to within the timeout period."),
    AWS_ERROR.Coded(400, "ExpiredToken", "The provided token has expired."),
    AWS_ERROR.Coded(400, "TokenRefreshRequired", "The provided token must be refreshed."),
    AWS_ERROR.Coded(400, "InvalidToken", "The provided token is malformed or otherwise invalid."),
    AWS_ERROR.Coded(400, "AuthorizationHeaderMalformed", "The authorization header is malformed; the region 'us-east-1' is wrong; expecting 'eu-west-1'"),
    AWS_ERROR.Coded(400, "KMS.DisabledException", "The request was rejected because the specified CMK is not enabled."),
    AWS_ERROR.Coded(400, "KMS.ThrottlingException", "Rate exceeded"),
    AWS_ERROR.Coded(400, "ThrottlingException", "Rate exceeded"),
    AWS_ERROR.Coded(409, "OperationAborted", "A conflicting conditional operation is currently in progress against this resource. Try again."),
    AWS_ERROR.Coded(429, "TooManyRequests", "Too many requests"),
    { status: 400, xml: "" },
  ];
  for (const failure of cases) {
    const { table, s3, dependencies, scope } = worldOnAws((request) => (isRead(stored)(request) ? failure : undefined), { maxAttempts: 1 });

    const error = await rejection(processTelemetryMessage(objectCreated(stored, "etag-transient", 100, "v1"), dependencies, scope));

    assert.not.instance(error, PermanentFailureError, failure.xml);
    assert.is((error as S3ServiceException).$metadata?.httpStatusCode, failure.status, `${failure.xml}: S3's answer, thrown as it is (the message is retried)`);
    assert.equal(scope.parking.tally.byReason(), {}, `${failure.xml}: nothing parked`);
    assert.equal(s3.writes(), [], `${failure.xml}: nothing written`);
    assert.is(table.items.get(ledgerKeyOf(stored, "etag-transient")), undefined, `${failure.xml}: not recorded, so the redelivery reads it`);
  }
});

test("review 23 (R23-02): a 400 to the processor's own write of a .reason.json is about that request, not the object: retried, nothing parked (it parked a readable object unreadable)", async () => {
  const cases: Array<[string, number]> = [
    [vehicleTelemetryKey(VIN, Date.now(), "huge"), 5 * 1024 ** 3], // its reason alone, after a one-byte read
    [`telemetry/vehicle/${VIN}/outside-layout.bin`, 100], // copied, then its reason
  ];
  for (const [key, size] of cases) {
    for (const code of ["IncompleteBody", "BadDigest", "XAmzContentSHA256Mismatch"]) {
      const failure = AWS_ERROR.Coded(400, code, "The request body was not what its headers said.");
      const { s3, dependencies, scope } = worldOnAws((request) => (request.method === "PUT" && request.path.endsWith(".reason.json") ? failure : undefined), { maxAttempts: 1 });

      const error = await rejection(processTelemetryMessage(objectCreated(key, "etag-own-write", size, "v1"), dependencies, scope));

      assert.instance(error, QuarantineWriteError, `${key} ${code}`);
      assert.not.instance(error, PermanentFailureError, `${key} ${code}: retried`);
      assert.equal(scope.parking.tally.byReason(), {}, `${key} ${code}: nothing parked`);
      assert.not.ok(s3.writes().some((written) => written.startsWith("parked/")), `${key} ${code}: no parked record`);
    }
  }
});

// ── an object over MAX_OBJECT_BYTES is never read nor copied: its reason alone is written, once the event's object is
// found still there (review 21, R18-F2 leftovers); gone or replaced, it is parked as a read of it would be ──

const FIVE_GB = 5 * 1024 ** 3;

test("an object over MAX_OBJECT_BYTES still there: one byte is read, bound as every read (Range, If-Match, its version), then its reason alone is written", async () => {
  const stored = vehicleTelemetryKey(VIN, Date.now(), "five-gb");
  for (const key of [stored, `telemetry/vehicle/${VIN}/five-gb.bin`]) {
    const { s3, dependencies, scope } = worldOnAws(() => undefined);

    const outcome = await processTelemetryMessage(objectCreated(key, "etag-big", FIVE_GB, "v-big"), dependencies, scope);

    assert.is(outcome, "quarantined", key);
    const [probe, ...more] = s3.reads();
    assert.equal(more, [], `${key}: one read`);
    assert.equal([decodeURIComponent(probe!.path), probe!.headers.range, probe!.headers["if-match"], probe!.query.versionId], [`/${BUCKET}/${key}`, "bytes=0-0", '"etag-big"', "v-big"], key);
    assert.equal(s3.copies(), [], `${key}: no copy`);
    const object = { bucket: BUCKET, key, etag: "etag-big", versionId: "v-big", size: FIVE_GB, createdAtMs: 0 };
    assert.ok(s3.writes().includes(`${quarantinedObjectKey(object)}.reason.json`), `${key}: its reason is written`);
  }
});

test("an object over MAX_OBJECT_BYTES gone (404 NoSuchKey, NoSuchVersion) or replaced (412) before its reason is written: parked object-missing / object-replaced as a read would be, no reason written, in the layout or outside it", async () => {
  const inLayout = vehicleTelemetryKey(VIN, Date.now(), "five-gb-gone");
  const outsideLayout = `telemetry/vehicle/${VIN}/five-gb-gone.bin`;
  const cases = [
    { key: inLayout, versionId: undefined, failure: AWS_ERROR.NoSuchKey(inLayout), reason: "object-missing" },
    { key: outsideLayout, versionId: undefined, failure: AWS_ERROR.NoSuchKey(outsideLayout), reason: "object-missing" },
    { key: inLayout, versionId: "v-gone", failure: AWS_ERROR.NoSuchVersion(inLayout, "v-gone"), reason: "object-missing" },
    { key: inLayout, versionId: undefined, failure: AWS_ERROR.PreconditionFailed(), reason: "object-replaced" },
    { key: outsideLayout, versionId: undefined, failure: AWS_ERROR.PreconditionFailed(), reason: "object-replaced" },
  ];
  for (const { key, versionId, failure, reason } of cases) {
    const what = `${key} ${failure.xml.slice(6, 30)}`;
    const { table, s3, dependencies, scope } = worldOnAws((request) => (isRead(key)(request) ? failure : undefined));

    const outcome = await processTelemetryMessage(objectCreated(key, "etag-gone", FIVE_GB, versionId), dependencies, scope);

    assert.is(outcome, "parked", what);
    assert.equal(scope.parking.tally.byReason(), { [reason]: 1 }, what);
    assert.equal(table.items.get(ledgerKeyOf(key, "etag-gone"))?.outcome, { M: { parked: { S: reason } } }, `${what}: recorded`);
    assert.equal(s3.writes().filter((written) => written.startsWith("quarantine/")), [], `${what}: no reason written for an object that is not there`);
    assert.is(scope.aggregate.objectsQuarantined, 0, `${what}: not counted quarantined`);
  }
});

test.run();
