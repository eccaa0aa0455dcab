/**
 * The local IoT credentials provider against the thing it issues for, tried as an attacker would race it
 * (R1-a): the thing is read after the certificate's attachment is checked, so a thing detached and deleted
 * (or replaced by a typed one) in between must not yield a session, above all not an untyped, vehicle one;
 * and a thing that cannot be read at all (throttled, the emulator failing) yields nothing either.
 * The provider talks to the real moto through a loopback relay that can act between two of its calls,
 * which is how the race is made to happen every time.
 */
import { createServer, request as httpRequest, type IncomingMessage, type Server } from "node:http";
import { test } from "uvu";
import * as assert from "uvu/assert";
import {
  AttachPolicyCommand,
  AttachThingPrincipalCommand,
  CreatePolicyCommand,
  CreateRoleAliasCommand,
  CreateThingCommand,
  CreateThingTypeCommand,
  DeleteThingCommand,
  DetachPolicyCommand,
  DetachThingPrincipalCommand,
  IoTClient,
  ListThingPrincipalsCommand,
} from "@aws-sdk/client-iot";
import { createKeyAndCsr } from "../../../../identity/certificates.js";
import { registerVehicle } from "../../../../identity/provisioning.js";
import { fetchVehicleCredentials, type VehicleIdentityMaterial } from "../../../../identity/vehicle-credentials.js";
import { LOCAL_ACCOUNT_ID, LOCAL_CREDENTIALS } from "../../../../local/apply/context.js";
import { startEmulator, type Emulator } from "../../../../local/emulator.js";
import { startCredentialsProvider, type CredentialsProvider } from "../../../../local/identity/credentials-provider.js";
import { VehicleSessions } from "../../../../local/identity/sessions.js";
import type { VehiclePolicyDocument } from "../../../../local/identity/vehicle-policy.js";
import { refusal } from "./support/vehicles.js";

const REGION = "eu-central-1";
const ALIAS = "fleetota-test-vehicle";
const ROLE_ARN = `arn:aws:iam::${LOCAL_ACCOUNT_ID}:role/fleetota-test-vehicle`;
const IOT_POLICY = "fleetota-test-vehicle-iot";
const VINS = ["1HGCM82633A004352", "1M8GDM9AXKP042788", "2HGFC2F50JH542617", "3VWDX7AJ6DM416342", "5YJSA1E28HF181349"];
const ROLE_POLICY: VehiclePolicyDocument = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: "arn:aws:s3:::lake/jobs/${credentials-iot:ThingName}.json" }] };

/** What the relay does with one request of the provider: answer it itself, or forward it and then run `after` before answering. */
interface Relay {
  endpoint: string;
  /** Called with each request (method, path); may answer it (status, JSON body) instead of moto. */
  answer?: (method: string, path: string) => { status: number; body: unknown } | undefined;
  /** Called after moto answered, before the provider hears the answer. */
  after?: (method: string, path: string) => Promise<void>;
  calls: string[];
  stop(): Promise<void>;
}

/** A loopback HTTP relay in front of moto (the provider's IoT endpoint). */
async function startRelay(target: string): Promise<Relay> {
  const upstream = new URL(target);
  const relay: Relay = { endpoint: "", calls: [], stop: async () => {} };
  const collect = async (stream: IncomingMessage) => Buffer.concat(await stream.toArray());
  const server: Server = createServer(async (incoming, outgoing) => {
    const method = incoming.method ?? "GET";
    const path = decodeURIComponent((incoming.url ?? "/").split("?")[0]!);
    relay.calls.push(`${method} ${path}`);
    const body = await collect(incoming);
    const own = relay.answer?.(method, path);
    if (own) {
      outgoing.writeHead(own.status, { "content-type": "application/json" }).end(JSON.stringify(own.body));
      return;
    }
    const forwarded = httpRequest({ host: upstream.hostname, port: upstream.port, method, path: incoming.url, headers: { ...incoming.headers, host: upstream.host } }, async (answer) => {
      const answerBody = await collect(answer);
      await relay.after?.(method, path);
      outgoing.writeHead(answer.statusCode ?? 502, answer.headers).end(answerBody);
    });
    forwarded.on("error", (error) => outgoing.writeHead(502).end(String(error)));
    forwarded.end(body);
  });
  await new Promise<void>((listening) => server.listen(0, "127.0.0.1", () => listening()));
  const address = server.address();
  relay.endpoint = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
  relay.stop = () => new Promise<void>((closed) => {
    server.close(() => closed());
    server.closeAllConnections();
  });
  return relay;
}

let emulator: Emulator;
let relay: Relay;
let provider: CredentialsProvider;
let iot: IoTClient;
let aliasArn: string;

async function registered(vin: string): Promise<VehicleIdentityMaterial & { certificateArn: string }> {
  const { privateKeyPem, csrPem } = await createKeyAndCsr(vin);
  const vehicle = await registerVehicle(iot, { iotPolicyName: IOT_POLICY, thingTypeName: "fleetota-test-vehicle" }, { vin, make: "Honda", model: "Accord", hardware: "tcu-2" }, { csrPem });
  const [certificateArn] = (await iot.send(new ListThingPrincipalsCommand({ thingName: vin }))).principals ?? [];
  return { vin, certificatePem: vehicle.certificatePem, privateKeyPem, credentialsEndpoint: provider.endpoint, roleAlias: ALIAS, caCertificatePem: provider.caCertificatePem, certificateArn: certificateArn! };
}

/** Detaches the certificate from the thing and deletes the thing (DeleteThing refuses a thing with principals, as on AWS). */
async function deleteThing(vin: string, certificateArn: string): Promise<void> {
  await iot.send(new DetachThingPrincipalCommand({ thingName: vin, principal: certificateArn }));
  await iot.send(new DeleteThingCommand({ thingName: vin }));
}

/** Runs `act` once, right after moto answered the provider's attachment check for `vin` (ListThingPrincipals). */
function betweenAttachmentCheckAndThingRead(vin: string, act: () => Promise<void>): void {
  let done = false;
  relay.after = async (method, path) => {
    if (done || method !== "GET" || path !== `/things/${vin}/principals`) return;
    done = true;
    await act();
  };
}

test.before(async () => {
  emulator = await startEmulator();
  iot = new IoTClient({ endpoint: emulator.endpoint, region: REGION, credentials: LOCAL_CREDENTIALS });
  relay = await startRelay(emulator.endpoint);
  const alias = await iot.send(new CreateRoleAliasCommand({ roleAlias: ALIAS, roleArn: ROLE_ARN, credentialDurationSeconds: 900 }));
  aliasArn = alias.roleAliasArn!;
  const assume = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "iot:AssumeRoleWithCertificate", Resource: alias.roleAliasArn }] };
  await iot.send(new CreatePolicyCommand({ policyName: IOT_POLICY, policyDocument: JSON.stringify(assume) }));
  await iot.send(new CreateThingTypeCommand({ thingTypeName: "fleetota-test-gateway" }));
  await iot.send(new CreateThingTypeCommand({ thingTypeName: "fleetota-test-vehicle" }));
  provider = await startCredentialsProvider({
    clientConfig: { endpoint: relay.endpoint, region: REGION, credentials: LOCAL_CREDENTIALS },
    accountId: LOCAL_ACCOUNT_ID,
    sessions: new VehicleSessions(),
    rolePolicy: (roleArn) => (roleArn === ROLE_ARN ? ROLE_POLICY : undefined),
  });
});

test.after.each(() => {
  relay.after = undefined;
  relay.answer = undefined;
});

test.after(async () => {
  await provider?.stop();
  await relay?.stop();
  iot?.destroy();
  await emulator?.stop();
});

test("a registered vehicle's certificate, attached to its thing, gets credentials (the control)", async () => {
  const vehicle = await registered(VINS[0]!);
  const issued = provider.stats.issued;

  const credentials = await fetchVehicleCredentials(vehicle);

  assert.ok(credentials.accessKeyId.startsWith("ASIA"));
  assert.is(provider.stats.issued, issued + 1);
});

test("the thing detached and deleted after the certificate's attachment was checked: refused 403, no session (was: an untyped, vehicle session)", async () => {
  const vehicle = await registered(VINS[1]!);
  betweenAttachmentCheckAndThingRead(vehicle.vin, () => deleteThing(vehicle.vin, vehicle.certificateArn));
  const issued = provider.stats.issued;

  const refused = await refusal(fetchVehicleCredentials(vehicle));

  assert.ok(relay.calls.includes(`GET /things/${vehicle.vin}/principals`), "the race was run");
  assert.is(refused.status, 403);
  assert.is(provider.stats.issued, issued, "no session issued");
});

test("the thing replaced in between by a typed thing of the same name, the certificate attached again: refused 403, no session", async () => {
  const vehicle = await registered(VINS[2]!);
  betweenAttachmentCheckAndThingRead(vehicle.vin, async () => {
    await deleteThing(vehicle.vin, vehicle.certificateArn);
    await iot.send(new CreateThingCommand({ thingName: vehicle.vin, thingTypeName: "fleetota-test-gateway" }));
    await iot.send(new AttachThingPrincipalCommand({ thingName: vehicle.vin, principal: vehicle.certificateArn }));
  });
  const issued = provider.stats.issued;

  const refused = await refusal(fetchVehicleCredentials(vehicle));

  assert.is(refused.status, 403);
  assert.is(provider.stats.issued, issued);
});

test("a thing deleted before the request: refused 403, no session", async () => {
  const vehicle = await registered(VINS[3]!);
  await deleteThing(vehicle.vin, vehicle.certificateArn);
  const issued = provider.stats.issued;

  const refused = await refusal(fetchVehicleCredentials(vehicle));

  assert.is(refused.status, 403);
  assert.is(provider.stats.issued, issued);
});

test("a thing that cannot be read (DescribeThing throttled, failing or unavailable): the provider fails closed, 500 and no session", async () => {
  const vehicle = await registered(VINS[4]!);
  const failures = [
    { status: 400, body: { __type: "ThrottlingException", message: "Rate exceeded" } },
    { status: 500, body: { __type: "InternalFailureException", message: "An unexpected error has occurred" } },
    { status: 503, body: { __type: "ServiceUnavailableException", message: "Service unavailable" } },
    { status: 403, body: { __type: "UnauthorizedException", message: "Access denied" } },
  ];
  for (const failure of failures) {
    relay.answer = (method, path) => (method === "GET" && path === `/things/${vehicle.vin}` ? failure : undefined);
    const issued = provider.stats.issued;

    const refused = await refusal(fetchVehicleCredentials(vehicle));

    assert.is(refused.status, 500, failure.body.__type);
    assert.is(provider.stats.issued, issued, `${failure.body.__type}: no session issued`);
  }
  relay.answer = undefined;
  assert.ok((await fetchVehicleCredentials(vehicle)).accessKeyId, "once the thing can be read again, credentials are issued");
});

test("a Deny in another IoT policy of the certificate wins over the vehicle policy's Allow (AWS evaluates them together): refused 403, no session", async () => {
  const vehicle = await registered("1FTFW1E57MFA12345");
  assert.ok((await fetchVehicleCredentials(vehicle)).accessKeyId, "the control: the vehicle policy alone allows");
  const shutOut = { Version: "2012-10-17", Statement: [{ Effect: "Deny", Action: "iot:AssumeRoleWithCertificate", Resource: aliasArn }] };
  await iot.send(new CreatePolicyCommand({ policyName: "fleetota-test-shut-out", policyDocument: JSON.stringify(shutOut) }));
  await iot.send(new AttachPolicyCommand({ policyName: "fleetota-test-shut-out", target: vehicle.certificateArn }));
  const issued = provider.stats.issued;

  const refused = await refusal(fetchVehicleCredentials(vehicle));

  assert.is(refused.status, 403);
  assert.is(provider.stats.issued, issued, "no session issued");
  await iot.send(new DetachPolicyCommand({ policyName: "fleetota-test-shut-out", target: vehicle.certificateArn }));
  assert.ok((await fetchVehicleCredentials(vehicle)).accessKeyId, "the Deny detached, credentials are issued again");
});

test.run();
