/**
 * The AWS IoT credentials provider, served on loopback (moto has IoT things, certificates and role aliases
 * but no such endpoint). `GET /role-aliases/<alias>/credentials` over HTTPS with mutual TLS, the thing
 * name in `x-amzn-iot-thingname`, answered as AWS does:
 * `{"credentials":{"accessKeyId","secretAccessKey","sessionToken","expiration"}}`.
 *
 * The TLS handshake proves the caller holds the private key of the certificate it presents. The
 * certificate is then accepted only if it is registered in the emulator (its id is the SHA-256 of its
 * DER, as on AWS), ACTIVE, attached to the named thing, and its attached IoT policies, evaluated together
 * by iam-simulate as for any policy here (a Deny in any of them wins), allow `iot:AssumeRoleWithCertificate`
 * on the role alias. The session it issues is bounded by the role's policy as applied from the
 * synthesized stack and carries the thing's name and type (`credentials-iot:ThingName`,
 * `credentials-iot:ThingTypeName`), which the front door evaluates it with. The same holds for every
 * role alias: the vehicles' and the fleet gateways'.
 */
import { createHash } from "node:crypto";
import { createServer, type Server } from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { TLSSocket } from "node:tls";
import {
  DescribeCertificateCommand,
  DescribeRoleAliasCommand,
  DescribeThingCommand,
  GetPolicyCommand,
  IoTClient,
  ListThingPrincipalsCommand,
  paginateListAttachedPolicies,
} from "@aws-sdk/client-iot";
import { THING_NAME_HEADER } from "../../contracts/vehicle-identity.js";
import { createSelfSigned } from "../../identity/certificates.js";
import { silentLog, type Log } from "../../lib/logger.js";
import type { ClientConfig } from "../apply/context.js";
import type { VehicleSessions } from "./sessions.js";
import { evaluateVehicleRequest, type VehiclePolicyDocument } from "./vehicle-policy.js";

export interface CredentialsProviderOptions {
  /** Where the provider reads IoT state (the emulator). */
  clientConfig: ClientConfig;
  accountId: string;
  sessions: VehicleSessions;
  /** The permissions policy of a role, by role ARN, as applied from the stack; undefined when it has none. */
  rolePolicy(roleArn: string): VehiclePolicyDocument | undefined;
  log?: Log;
  port?: number;
}

export interface CredentialsProvider {
  /** `https://127.0.0.1:<port>`: what a vehicle's bundle names as its credentials endpoint. */
  endpoint: string;
  /** The server's (self-signed) certificate: what vehicles trust instead of Amazon's root CA. */
  caCertificatePem: string;
  stats: CredentialsProviderStats;
  stop(): Promise<void>;
}

export interface CredentialsProviderStats {
  issued: number;
  refused: number;
}

/** A refusal with AWS's status code and message. */
export class CredentialsRefusedError extends Error {
  override readonly name = "CredentialsRefusedError";
  constructor(readonly statusCode: number, message: string, readonly reason: string) {
    super(message);
  }
}

const PATH = /^\/role-aliases\/([\w=,@-]+)\/credentials$/;
/**
 * How long a role alias and an IoT policy document are reused (they change only with the stack). The
 * certificate's status and attachments are read on every request, so a revoked vehicle is refused at once.
 */
const DEFINITION_TTL_MS = 10_000;

function forbidden(reason: string): CredentialsRefusedError {
  return new CredentialsRefusedError(403, "Access Denied", reason);
}

async function isNotFound<T>(work: Promise<T>): Promise<T | undefined> {
  try {
    return await work;
  } catch (error) {
    if ((error as Error).name === "ResourceNotFoundException") return undefined;
    throw error;
  }
}

/**
 * A certificate's IoT policies as one document. AWS evaluates all the policies attached to a certificate
 * together: an explicit Deny in any of them (how an operator shuts one device out without touching the
 * policy every other device shares) wins over an Allow in another. Evaluated one by one, any policy that
 * allows would issue a session despite the Deny.
 *
 * @example
 * asOnePolicy([{ Version: "2012-10-17", Statement: [allow] }, { Version: "2012-10-17", Statement: deny }]); // { Version: "2012-10-17", Statement: [allow, deny] }
 */
export function asOnePolicy(policies: readonly VehiclePolicyDocument[]): VehiclePolicyDocument {
  return { Version: "2012-10-17", Statement: policies.flatMap(({ Statement }) => (Array.isArray(Statement) ? Statement : [Statement])) };
}

/**
 * Starts the provider on 127.0.0.1 with a fresh self-signed server certificate.
 *
 * @example
 * const provider = await startCredentialsProvider({ clientConfig, accountId, sessions, rolePolicy });
 * // vehicle: https.get(`${provider.endpoint}/role-aliases/fleetota-dev-vehicle/credentials`, { cert, key, ca: provider.caCertificatePem, headers: { "x-amzn-iot-thingname": vin } })
 */
export async function startCredentialsProvider(options: CredentialsProviderOptions): Promise<CredentialsProvider> {
  const log = options.log ?? silentLog;
  const iot = new IoTClient(options.clientConfig);
  const serverIdentity = await createSelfSigned("FleetOTA local IoT credentials provider", { ipAddresses: ["127.0.0.1"], dnsNames: ["localhost"] });
  const stats: CredentialsProviderStats = { issued: 0, refused: 0 };
  const definitions = new Map<string, { atMs: number; value: Promise<unknown> }>();
  const definition = function cachedDefinition<T>(key: string, read: () => Promise<T>): Promise<T> {
    const cached = definitions.get(key);
    if (cached && Date.now() - cached.atMs < DEFINITION_TTL_MS) return cached.value as Promise<T>;
    const value = read();
    definitions.set(key, { atMs: Date.now(), value });
    value.catch(() => definitions.delete(key));
    return value;
  };

  /**
   * The thing named `thingName` as it is now, or a 403 when there is none (deleted, or never made): AWS's
   * provider issues nothing for a thing that does not exist. Any other failure to read it (throttling, the
   * emulator down) is thrown as it is and answered 500: never a session without the thing's type.
   */
  async function existingThing(thingName: string): Promise<{ thingId: string; thingTypeName: string | undefined }> {
    const thing = await isNotFound(iot.send(new DescribeThingCommand({ thingName })));
    if (!thing?.thingId) throw forbidden(`thing ${thingName} does not exist`);
    return { thingId: thing.thingId, thingTypeName: thing.thingTypeName || undefined };
  }

  async function credentialsFor(request: IncomingMessage): Promise<Record<string, unknown>> {
    const match = PATH.exec((request.url ?? "").split("?")[0]!);
    if (request.method !== "GET" || !match) throw new CredentialsRefusedError(404, "Not Found", `${request.method} ${request.url}`);
    const alias = match[1]!;
    const thingName = request.headers[THING_NAME_HEADER];
    if (typeof thingName !== "string" || thingName === "") throw new CredentialsRefusedError(400, "Missing header x-amzn-iot-thingname", "no thing name");

    const presented = (request.socket as TLSSocket).getPeerCertificate();
    if (!presented?.raw) throw new CredentialsRefusedError(401, "Unauthorized", "no client certificate");
    const certificateId = createHash("sha256").update(presented.raw).digest("hex");
    const described = await isNotFound(iot.send(new DescribeCertificateCommand({ certificateId })));
    const certificate = described?.certificateDescription;
    if (!certificate?.certificateArn) throw forbidden(`certificate ${certificateId.slice(0, 12)}… is not registered`);
    if (certificate.status !== "ACTIVE") throw forbidden(`certificate ${certificateId.slice(0, 12)}… is ${certificate.status}`);

    // The thing is read before the attachment check and again after it: the session carries its type, and the
    // type is only known for the thing the certificate was found attached to if both reads name the same thing.
    const thingBefore = await existingThing(thingName);
    const principals = await isNotFound(iot.send(new ListThingPrincipalsCommand({ thingName })));
    if (!principals?.principals?.includes(certificate.certificateArn)) throw forbidden(`certificate is not attached to thing ${thingName}`);

    const roleAlias = (await definition(`alias:${alias}`, () => isNotFound(iot.send(new DescribeRoleAliasCommand({ roleAlias: alias })))))?.roleAliasDescription;
    if (!roleAlias?.roleArn || !roleAlias.roleAliasArn) throw new CredentialsRefusedError(404, "Role alias does not exist", `no role alias ${alias}`);

    const attached: string[] = [];
    for await (const page of paginateListAttachedPolicies({ client: iot }, { target: certificate.certificateArn })) {
      attached.push(...(page.policies ?? []).flatMap((policy) => (policy.policyName ? [policy.policyName] : [])));
    }
    const iotPolicies = await Promise.all(
      attached.map(async (policyName) => {
        const read = () => iot.send(new GetPolicyCommand({ policyName }));
        const text = (await definition(`policy:${policyName}`, read)).policyDocument ?? "{}";
        return JSON.parse(text) as VehiclePolicyDocument;
      }),
    );
    const assume = { action: "iot:AssumeRoleWithCertificate", resource: roleAlias.roleAliasArn };
    if (iotPolicies.length === 0 || !evaluateVehicleRequest(asOnePolicy(iotPolicies), thingName, options.accountId, assume).allowed) {
      throw forbidden(`the certificate's IoT policies do not allow iot:AssumeRoleWithCertificate on ${alias}`);
    }

    const policy = options.rolePolicy(roleAlias.roleArn);
    if (!policy) throw new CredentialsRefusedError(500, "Internal Failure", `role ${roleAlias.roleArn} has no policy in the applied stack`);
    // The thing type is read on every request, like the attachments: AWS evaluates the role with the thing as it is now.
    const thing = await existingThing(thingName);
    if (thing.thingId !== thingBefore.thingId || thing.thingTypeName !== thingBefore.thingTypeName) {
      throw forbidden(`thing ${thingName} was replaced or retyped while its certificate was checked`);
    }
    const thingTypeName = thing.thingTypeName;
    const session = options.sessions.issue({ thingName, thingTypeName, roleArn: roleAlias.roleArn, policy, durationSeconds: roleAlias.credentialDurationSeconds ?? 3600 });
    return {
      credentials: {
        accessKeyId: session.accessKeyId,
        secretAccessKey: session.secretAccessKey,
        sessionToken: session.sessionToken,
        expiration: new Date(session.expiresAtMs).toISOString().replace(/\.\d{3}Z$/, "Z"),
      },
    };
  }

  const answer = function answerCredentialsRequest(request: IncomingMessage, response: ServerResponse): void {
    request.resume();
    credentialsFor(request).then(
      (body) => {
        stats.issued++;
        response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body));
      },
      (error: unknown) => {
        const refused = error instanceof CredentialsRefusedError ? error : new CredentialsRefusedError(500, "Internal Failure", String(error));
        stats.refused++;
        log.warn("credentials provider refused a request", { status: refused.statusCode, reason: refused.reason });
        response.writeHead(refused.statusCode, { "content-type": "application/json" }).end(JSON.stringify({ message: refused.message }));
      },
    );
  };

  const server: Server = createServer(
    { key: serverIdentity.privateKeyPem, cert: serverIdentity.certificatePem, requestCert: true, rejectUnauthorized: false },
    answer,
  );
  await new Promise<void>((resolveListen, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => resolveListen());
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  log.info("IoT credentials provider ready", { endpoint: `https://127.0.0.1:${port}` });
  return {
    endpoint: `https://127.0.0.1:${port}`,
    caCertificatePem: serverIdentity.certificatePem,
    stats,
    async stop() {
      await new Promise<void>((resolveClose) => {
        server.close(() => resolveClose());
        server.closeAllConnections();
      });
      iot.destroy();
    },
  };
}
