/**
 * Registering a vehicle in AWS IoT (the same calls on AWS and on the local cloud): a thing named by its
 * VIN with make, model and hardware as attributes, a certificate (from the vehicle's CSR, so its private
 * key never leaves it, or else a key pair made by AWS IoT), the fleet's vehicle IoT policy attached to
 * the certificate, and the certificate attached to the thing. Revoking sets the certificate INACTIVE:
 * the credentials provider then refuses it, and the vehicle's last credentials run out within their lifetime.
 */
import {
  AttachPolicyCommand,
  AttachThingPrincipalCommand,
  CreateCertificateFromCsrCommand,
  CreateKeysAndCertificateCommand,
  CreateThingCommand,
  DescribeThingCommand,
  ListThingPrincipalsCommand,
  ListThingsCommand,
  UpdateCertificateCommand,
  type IoTClient,
} from "@aws-sdk/client-iot";
import { vinViolations } from "../telemetry/vin.js";

export interface VehicleRecord {
  readonly vin: string;
  readonly make: string;
  readonly model: string;
  readonly hardware: string;
}

export interface RegisteredVehicle extends VehicleRecord {
  readonly certificateId: string;
  readonly certificateArn: string;
  readonly certificatePem: string;
  /** Only when AWS IoT made the key pair (no CSR): hand it to the vehicle, then delete it. */
  readonly privateKeyPem?: string;
}

export class InvalidVehicleError extends Error {
  override readonly name = "InvalidVehicleError";
}

export class VehicleAlreadyRegisteredError extends Error {
  override readonly name = "VehicleAlreadyRegisteredError";
  constructor(readonly vin: string) {
    super(`${vin} is already registered (revoke it first, or keep its certificate)`);
  }
}

export class VehicleNotFoundError extends Error {
  override readonly name = "VehicleNotFoundError";
  constructor(readonly vin: string) {
    super(`${vin} is not registered`);
  }
}

/** Thing attribute values: AWS allows `[a-zA-Z0-9_.,@/:#=\[\]-]*`, up to 800 characters. */
const ATTRIBUTE_VALUE = /^[\w.,@/:#=[\]-]{1,800}$/;

/**
 * Checks a vehicle record before anything is created; returns the problems (empty when it is fine).
 *
 * @example
 * vehicleRecordProblems({ vin: "1HGCM82633A004352", make: "Honda", model: "Accord", hardware: "tcu-2" }); // []
 */
export function vehicleRecordProblems(record: VehicleRecord): string[] {
  const problems = vinViolations(record.vin).map((violation) => `VIN ${JSON.stringify(record.vin)}: ${violation.message}`);
  for (const field of ["make", "model", "hardware"] as const) {
    if (!ATTRIBUTE_VALUE.test(record[field] ?? "")) problems.push(`${field} ${JSON.stringify(record[field] ?? "")} must be 1-800 of letters, digits and _.,@/:#=[]- (no spaces)`);
  }
  return problems;
}

/**
 * Registers one vehicle: 4 IoT calls (thing, certificate, policy attachment, thing attachment).
 *
 * @example
 * const vehicle = await registerVehicle(iot, "fleetota-dev-vehicle", { vin, make: "Honda", model: "Accord", hardware: "tcu-2" }, { csrPem });
 */
export async function registerVehicle(
  iot: IoTClient,
  iotPolicyName: string,
  record: VehicleRecord,
  options: { csrPem?: string } = {},
): Promise<RegisteredVehicle> {
  const problems = vehicleRecordProblems(record);
  if (problems.length) throw new InvalidVehicleError(problems.join("; "));
  try {
    await iot.send(new CreateThingCommand({ thingName: record.vin, attributePayload: { attributes: { make: record.make, model: record.model, hardware: record.hardware } } }));
  } catch (error) {
    if ((error as Error).name === "ResourceAlreadyExistsException") throw new VehicleAlreadyRegisteredError(record.vin);
    throw error;
  }
  // moto answers CreateThing for an existing name without an error; a thing with a principal is registered.
  const { principals = [] } = await iot.send(new ListThingPrincipalsCommand({ thingName: record.vin }));
  if (principals.length) throw new VehicleAlreadyRegisteredError(record.vin);
  const certificate = options.csrPem
    ? await iot.send(new CreateCertificateFromCsrCommand({ certificateSigningRequest: options.csrPem, setAsActive: true }))
    : await iot.send(new CreateKeysAndCertificateCommand({ setAsActive: true }));
  if (!certificate.certificateArn || !certificate.certificateId || !certificate.certificatePem) throw new Error(`AWS IoT returned no certificate for ${record.vin}`);
  await iot.send(new AttachPolicyCommand({ policyName: iotPolicyName, target: certificate.certificateArn }));
  await iot.send(new AttachThingPrincipalCommand({ thingName: record.vin, principal: certificate.certificateArn }));
  return {
    ...record,
    certificateId: certificate.certificateId,
    certificateArn: certificate.certificateArn,
    certificatePem: certificate.certificatePem,
    privateKeyPem: (certificate as { keyPair?: { PrivateKey?: string } }).keyPair?.PrivateKey,
  };
}

/**
 * Deactivates every certificate of a vehicle; returns their ids.
 *
 * @example
 * await revokeVehicle(iot, "1HGCM82633A004352"); // ["9f2c…"]
 */
export async function revokeVehicle(iot: IoTClient, vin: string): Promise<string[]> {
  let principals: string[];
  try {
    principals = (await iot.send(new ListThingPrincipalsCommand({ thingName: vin }))).principals ?? [];
  } catch (error) {
    if ((error as Error).name === "ResourceNotFoundException") throw new VehicleNotFoundError(vin);
    throw error;
  }
  const certificateIds = principals.filter((arn) => arn.includes(":cert/")).map((arn) => arn.slice(arn.lastIndexOf("/") + 1));
  for (const certificateId of certificateIds) await iot.send(new UpdateCertificateCommand({ certificateId, newStatus: "INACTIVE" }));
  return certificateIds;
}

export interface ListedVehicle extends Partial<VehicleRecord> {
  readonly vin: string;
}

/**
 * Every registered vehicle (thing) with its attributes, page by page.
 *
 * @example
 * for await (const page of listVehicles(iot)) console.log(page.length);
 */
export async function* listVehicles(iot: IoTClient): AsyncGenerator<ListedVehicle[]> {
  let nextToken: string | undefined;
  do {
    const page = await iot.send(new ListThingsCommand({ nextToken, maxResults: 250 }));
    yield (page.things ?? []).map((thing) => ({
      vin: thing.thingName!,
      make: thing.attributes?.make,
      model: thing.attributes?.model,
      hardware: thing.attributes?.hardware,
    }));
    nextToken = page.nextToken;
  } while (nextToken);
}

/** Whether a thing of that name exists. */
export async function isRegistered(iot: IoTClient, vin: string): Promise<boolean> {
  try {
    await iot.send(new DescribeThingCommand({ thingName: vin }));
    return true;
  } catch (error) {
    if ((error as Error).name === "ResourceNotFoundException") return false;
    throw error;
  }
}
