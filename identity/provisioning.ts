/**
 * Registering a vehicle in AWS IoT (the same calls on AWS and on the local cloud): a thing of the vehicle thing
 * type named by its VIN with make, model, hardware (and model year, when given) as attributes (AWS IoT holds at
 * most 3 attributes on an untyped thing, 50 on a typed one), which campaign targeting
 * trusts instead of the vehicle's own description (campaigns/registry-check.ts), a certificate (from the vehicle's CSR, so its private
 * key never leaves it, or else a key pair made by AWS IoT), the fleet's vehicle IoT policy attached to
 * the certificate, and the certificate attached to the thing. Revoking sets the certificate INACTIVE:
 * the credentials provider then refuses it, and the vehicle's last credentials run out within their lifetime.
 *
 * A fleet gateway is registered the same way: a thing of the gateway thing type named by its gateway id
 * (`gw-…`), its certificate carrying the gateway IoT policy (which names only the gateway role alias).
 *
 * Vehicles and gateways are told apart by the exact name of their thing type, never by whether a thing has one
 * (`isVehicleThingType`): an untyped thing is a vehicle registered before vehicles had a type (`retypeVehicle`
 * gives it the type), never a gateway; a thing of any other type is neither.
 */
import {
  AttachPolicyCommand,
  AttachThingPrincipalCommand,
  CreateCertificateFromCsrCommand,
  CreateKeysAndCertificateCommand,
  CreateThingCommand,
  DeleteThingCommand,
  DescribeThingCommand,
  type CreateCertificateFromCsrCommandOutput,
  ListThingPrincipalsCommand,
  ListThingsCommand,
  UpdateCertificateCommand,
  UpdateThingCommand,
  type IoTClient,
  type ThingAttribute,
} from "@aws-sdk/client-iot";
import { gatewayIdProblem } from "../contracts/telemetry-keys.js";
import {
  ATTRIBUTE_VALUE_MAX_LENGTH,
  factFromAttributeValue,
  INJECTIVE_ATTRIBUTE_FORM,
  isVehicleThingType,
  legacyAttributeValue,
  mayBeLossy,
  thingAttributeValue,
  VEHICLE_ATTRIBUTE,
} from "../contracts/vehicle-identity.js";
import { vinViolations } from "../telemetry/vin.js";

export interface VehicleRecord {
  readonly vin: string;
  readonly make: string;
  readonly model: string;
  readonly hardware: string;
  /** The model year; campaigns that select model years admit only vehicles registered with one. */
  readonly modelYear?: number;
}

export interface RegisteredVehicle extends VehicleRecord {
  readonly certificateId: string;
  readonly certificateArn: string;
  readonly certificatePem: string;
  /** Only when AWS IoT made the key pair (no CSR): hand it to the vehicle, then delete it. */
  readonly privateKeyPem?: string;
}

/** Where vehicles are registered: the stack's vehicle IoT policy and vehicle thing type (outputs `vehicle_iot_policy`, `vehicle_thing_type`). */
export interface VehicleRegistration {
  readonly iotPolicyName: string;
  readonly thingTypeName: string;
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
    super(`${vin} is not a registered vehicle`);
  }
}

/** Thing attribute values: AWS allows `[a-zA-Z0-9_.,@/:#=\[\]-]*`, up to 800 characters (a gateway's site is given so). */
const ATTRIBUTE_VALUE = /^[\w.,@/:#=[\]-]{1,800}$/;
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/;
const TEXT_FACTS = ["make", "model", "hardware"] as const;
const ATTRIBUTE_OF = { make: VEHICLE_ATTRIBUTE.Make, model: VEHICLE_ATTRIBUTE.Model, hardware: VEHICLE_ATTRIBUTE.Hardware } as const;

/**
 * Why a make, model or hardware value cannot be registered (undefined when it can): it is the vehicle's own text
 * (what its telemetry says, `Model 3`, `Citroën`), stored in its injective attribute form (`thingAttributeValue`),
 * which AWS IoT limits to 800 characters.
 */
function factProblem(field: string, value: string | undefined): string | undefined {
  if (!value) return `${field} is missing`;
  if (CONTROL_CHARACTERS.test(value)) return `${field} ${JSON.stringify(value)} contains control characters`;
  const form = thingAttributeValue(value);
  if (form.length > ATTRIBUTE_VALUE_MAX_LENGTH) return `${field} ${JSON.stringify(value)} is too long: its attribute form has ${form.length} characters, AWS IoT holds ${ATTRIBUTE_VALUE_MAX_LENGTH}`;
  return undefined;
}

/**
 * Checks a vehicle record before anything is created; returns the problems (empty when it is fine).
 *
 * @example
 * vehicleRecordProblems({ vin: "1HGCM82633A004352", make: "Citroën", model: "ë-C4", hardware: "tcu-2" }); // []
 */
export function vehicleRecordProblems(record: VehicleRecord): string[] {
  const problems = vinViolations(record.vin).map((violation) => `VIN ${JSON.stringify(record.vin)}: ${violation.message}`);
  for (const field of TEXT_FACTS) {
    const problem = factProblem(field, record[field]);
    if (problem) problems.push(problem);
  }
  if (record.modelYear !== undefined && !(Number.isInteger(record.modelYear) && record.modelYear >= 1950 && record.modelYear <= 2100)) {
    problems.push(`model year ${JSON.stringify(record.modelYear)} must be a year from 1950 to 2100`);
  }
  return problems;
}

/** A thing to register with its own certificate (a vehicle, a fleet gateway). */
interface ThingRegistration {
  readonly thingName: string;
  readonly thingTypeName?: string;
  readonly attributes?: Record<string, string>;
  readonly iotPolicyName: string;
  readonly csrPem?: string;
  /** Asked once the thing exists and before it gets a certificate; when it throws, the thing is deleted and nothing else made. */
  readonly beforeCertificate?: () => Promise<void>;
}

interface RegisteredCertificate {
  readonly certificateId: string;
  readonly certificateArn: string;
  readonly certificatePem: string;
  readonly privateKeyPem?: string;
}

/** Thrown by `registerThing` when the thing already has a certificate; callers name it in their own terms. */
class ThingAlreadyRegistered extends Error {}

/**
 * The thing, its certificate (from the CSR, else a key pair made by AWS IoT), the IoT policy on the
 * certificate and the certificate on the thing: 5 IoT calls. The thing is made first, so a check that must see
 * it (`beforeCertificate`: a vehicle bound to a gateway meanwhile) runs after it exists.
 */
async function registerThing(iot: IoTClient, registration: ThingRegistration): Promise<RegisteredCertificate> {
  const { thingName } = registration;
  try {
    await iot.send(
      new CreateThingCommand({
        thingName,
        ...(registration.thingTypeName ? { thingTypeName: registration.thingTypeName } : {}),
        ...(registration.attributes ? { attributePayload: { attributes: registration.attributes } } : {}),
      }),
    );
  } catch (error) {
    if ((error as Error).name === "ResourceAlreadyExistsException") throw new ThingAlreadyRegistered(thingName);
    throw error;
  }
  // moto answers CreateThing for an existing name without an error; a thing with a principal is registered.
  const { principals = [] } = await iot.send(new ListThingPrincipalsCommand({ thingName }));
  if (principals.length) throw new ThingAlreadyRegistered(thingName);
  if (registration.beforeCertificate) {
    try {
      await registration.beforeCertificate();
    } catch (error) {
      await iot.send(new DeleteThingCommand({ thingName }));
      throw error;
    }
  }
  const certificate: CreateCertificateFromCsrCommandOutput & { keyPair?: { PrivateKey?: string } } = registration.csrPem
    ? await iot.send(new CreateCertificateFromCsrCommand({ certificateSigningRequest: registration.csrPem, setAsActive: true }))
    : await iot.send(new CreateKeysAndCertificateCommand({ setAsActive: true }));
  if (!certificate.certificateArn || !certificate.certificateId || !certificate.certificatePem) throw new Error(`AWS IoT returned no certificate for ${thingName}`);
  await iot.send(new AttachPolicyCommand({ policyName: registration.iotPolicyName, target: certificate.certificateArn }));
  await iot.send(new AttachThingPrincipalCommand({ thingName, principal: certificate.certificateArn }));
  return {
    certificateId: certificate.certificateId,
    certificateArn: certificate.certificateArn,
    certificatePem: certificate.certificatePem,
    privateKeyPem: certificate.keyPair?.PrivateKey,
  };
}

/**
 * Registers one vehicle, a thing of the vehicle thing type: 5 IoT calls (thing, principals check, certificate,
 * policy attachment, thing attachment).
 *
 * @example
 * const where = { iotPolicyName: "fleetota-dev-vehicle", thingTypeName: "fleetota-dev-vehicle" };
 * const vehicle = await registerVehicle(iot, where, { vin, make: "Honda", model: "Accord", hardware: "tcu-2" }, { csrPem });
 */
export async function registerVehicle(
  iot: IoTClient,
  where: VehicleRegistration,
  record: VehicleRecord,
  options: { csrPem?: string; beforeCertificate?: () => Promise<void> } = {},
): Promise<RegisteredVehicle> {
  const problems = vehicleRecordProblems(record);
  if (problems.length) throw new InvalidVehicleError(problems.join("; "));
  try {
    const attributes = {
      [VEHICLE_ATTRIBUTE.Make]: thingAttributeValue(record.make),
      [VEHICLE_ATTRIBUTE.Model]: thingAttributeValue(record.model),
      [VEHICLE_ATTRIBUTE.Hardware]: thingAttributeValue(record.hardware),
      ...(record.modelYear === undefined ? {} : { [VEHICLE_ATTRIBUTE.ModelYear]: String(record.modelYear) }),
      [VEHICLE_ATTRIBUTE.Form]: INJECTIVE_ATTRIBUTE_FORM,
    };
    const registration = { thingName: record.vin, thingTypeName: where.thingTypeName, attributes, iotPolicyName: where.iotPolicyName, ...options };
    return { ...record, ...(await registerThing(iot, registration)) };
  } catch (error) {
    if (error instanceof ThingAlreadyRegistered) throw new VehicleAlreadyRegisteredError(record.vin);
    throw error;
  }
}

/**
 * Deactivates every certificate of a vehicle (a thing of the vehicle type, or untyped; a gateway's id is refused); returns their ids.
 *
 * @example
 * await revokeVehicle(iot, "1HGCM82633A004352", "fleetota-dev-vehicle"); // ["9f2c…"]
 */
export async function revokeVehicle(iot: IoTClient, vin: string, vehicleThingType: string): Promise<string[]> {
  const type = await describedThingType(iot, vin);
  if (type === undefined || !isVehicleThingType(type, vehicleThingType)) throw new VehicleNotFoundError(vin);
  const certificateIds = await deactivateCertificates(iot, vin);
  if (!certificateIds) throw new VehicleNotFoundError(vin);
  return certificateIds;
}

/** Sets every certificate of a thing INACTIVE; undefined when there is no such thing. */
async function deactivateCertificates(iot: IoTClient, thingName: string): Promise<string[] | undefined> {
  let principals: string[];
  try {
    principals = (await iot.send(new ListThingPrincipalsCommand({ thingName }))).principals ?? [];
  } catch (error) {
    if ((error as Error).name === "ResourceNotFoundException") return undefined;
    throw error;
  }
  const certificateIds = principals.filter((arn) => arn.includes(":cert/")).map((arn) => arn.slice(arn.lastIndexOf("/") + 1));
  for (const certificateId of certificateIds) await iot.send(new UpdateCertificateCommand({ certificateId, newStatus: "INACTIVE" }));
  return certificateIds;
}

export class AttributeMigrationError extends Error {
  override readonly name = "AttributeMigrationError";
}

/** The flag with which an operator says they took a value from the vehicle's papers (a lossy form fits several values). */
export const CHECKED_PAPERS_FLAG = "--checked-papers";

/**
 * Moves a vehicle registered in the lossy attribute form (`legacyAttributeValue`, before the form was injective)
 * to the injective one, for the facts given, and marks the thing (`attributeForm`), so its values read exactly.
 * Each value must be one whose lossy (or injective) form the thing holds now; to change a fact, revoke and register
 * again. A lossy form fits several values (`Citro_n`: Citroën, Citroén…; `hu_3`: hu_3, hu 3), so a value of an
 * unmarked thing that holds `_` or `=` is taken only with `checkedPapers` (the operator read it from the vehicle's
 * papers, not from the vehicle, whose claim is what is in question). Every fact of an unmarked thing that may be lossy must be given at once, since
 * the marker covers them all. An untyped vehicle gets the vehicle type in the same write. One DescribeThing and one
 * UpdateThing (merge). Returns the attributes written.
 *
 * @example
 * await reencodeVehicleAttributes(iot, "1HGCM82633A004352", { make: "Citroën" }, "fleetota-dev-vehicle", { checkedPapers: true });
 * // { make: "Citro=C3=ABn", attributeForm: "q1" }
 */
export async function reencodeVehicleAttributes(
  iot: IoTClient,
  vin: string,
  facts: Partial<Pick<VehicleRecord, "make" | "model" | "hardware">>,
  vehicleThingType: string,
  options: { checkedPapers?: boolean } = {},
): Promise<Record<string, string>> {
  let thing;
  try {
    thing = await iot.send(new DescribeThingCommand({ thingName: vin }));
  } catch (error) {
    if ((error as Error).name === "ResourceNotFoundException") throw new VehicleNotFoundError(vin);
    throw error;
  }
  if (!isVehicleThingType(thing.thingTypeName, vehicleThingType)) throw new VehicleNotFoundError(vin);
  const marker = thing.attributes?.[VEHICLE_ATTRIBUTE.Form];
  const attributes: Record<string, string> = {};
  const notGiven: string[] = [];
  for (const field of TEXT_FACTS) {
    const value = facts[field];
    const current = thing.attributes?.[ATTRIBUTE_OF[field]];
    if (value === undefined) {
      if (current !== undefined && mayBeLossy(current, marker)) notGiven.push(`--${field} (registered as ${JSON.stringify(current)})`);
      continue;
    }
    const problem = factProblem(field, value);
    if (problem) throw new AttributeMigrationError(problem);
    const form = thingAttributeValue(value);
    const lossy = current !== undefined && mayBeLossy(current, marker);
    if (current !== form && !(lossy && current === legacyAttributeValue(value))) {
      throw new AttributeMigrationError(`${vin}: ${field} is registered as ${JSON.stringify(current ?? null)}, not as ${JSON.stringify(value)}; nothing changed (to change a fact, revoke and register again)`);
    }
    if (lossy && !options.checkedPapers) {
      throw new AttributeMigrationError(
        `${vin}: ${field} is registered in the lossy form ${JSON.stringify(current)}, which ${JSON.stringify(value)} shares with other values; nothing changed. ` +
          `Check the vehicle's papers (not its telemetry) and run again with the value from them and ${CHECKED_PAPERS_FLAG}`,
      );
    }
    attributes[ATTRIBUTE_OF[field]] = form;
  }
  if (Object.keys(attributes).length === 0) throw new AttributeMigrationError("name at least one of --make, --model, --hardware");
  if (notGiven.length) {
    throw new AttributeMigrationError(`${vin}: give ${notGiven.join(", ")} too: the thing's facts are marked as injective all at once; nothing changed`);
  }
  attributes[VEHICLE_ATTRIBUTE.Form] = INJECTIVE_ATTRIBUTE_FORM;
  await iot.send(new UpdateThingCommand({ thingName: vin, thingTypeName: vehicleThingType, attributePayload: { attributes, merge: true } }));
  return attributes;
}

/**
 * Gives a vehicle registered before vehicles had a thing type (an untyped thing named by its VIN) the vehicle thing
 * type: one DescribeThing and, when it is untyped, one UpdateThing (`thingTypeName`; its attributes stay as they
 * are). Returns whether it changed anything (false: it had the type already). A thing of another type (a gateway)
 * or no thing is VehicleNotFoundError. The vehicle keeps its certificate and credentials throughout: the vehicle
 * role accepts it untyped and typed.
 *
 * @example
 * await retypeVehicle(iot, "1HGCM82633A004352", "fleetota-dev-vehicle"); // true
 */
export async function retypeVehicle(iot: IoTClient, vin: string, vehicleThingType: string): Promise<boolean> {
  const type = await describedThingType(iot, vin);
  if (type === undefined || !isVehicleThingType(type, vehicleThingType)) throw new VehicleNotFoundError(vin);
  if (type === vehicleThingType) return false;
  await iot.send(new UpdateThingCommand({ thingName: vin, thingTypeName: vehicleThingType }));
  return true;
}

export interface ListedVehicle extends Partial<VehicleRecord> {
  readonly vin: string;
  /** Registered before vehicles had a thing type (`fleetota vehicles retype` gives it the type). */
  readonly untyped?: true;
}

/**
 * Every registered vehicle (a thing of the vehicle type, or an untyped one registered before vehicles had a type:
 * fleet gateways and things of any other type are left out) with its attributes, page by page. Every thing is
 * listed (ListThings cannot ask for untyped things alone) and filtered here.
 *
 * @example
 * for await (const page of listVehicles(iot, "fleetota-dev-vehicle")) console.log(page.length);
 */
export async function* listVehicles(iot: IoTClient, vehicleThingType: string): AsyncGenerator<ListedVehicle[]> {
  for await (const things of listThings(iot)) {
    yield things
      .filter((thing) => isVehicleThingType(thing.thingTypeName, vehicleThingType))
      .map((thing) => {
        const modelYear = thing.attributes?.[VEHICLE_ATTRIBUTE.ModelYear];
        // A value in no form FleetOTA writes (set by hand) is shown as stored.
        // So is a value of a thing without the injective-form marker that may be lossy (`hu_3` is not read as `hu 3`).
        const fact = (name: string) => {
          const form = thing.attributes?.[name];
          if (form === undefined || mayBeLossy(form, thing.attributes?.[VEHICLE_ATTRIBUTE.Form])) return form;
          return factFromAttributeValue(form) ?? form;
        };
        return {
          vin: thing.thingName!,
          make: fact(VEHICLE_ATTRIBUTE.Make),
          model: fact(VEHICLE_ATTRIBUTE.Model),
          hardware: fact(VEHICLE_ATTRIBUTE.Hardware),
          ...(modelYear === undefined ? {} : { modelYear: Number(modelYear) }),
          ...(thing.thingTypeName ? {} : { untyped: true as const }),
        };
      });
  }
}

async function* listThings(iot: IoTClient, thingTypeName?: string): AsyncGenerator<ThingAttribute[]> {
  let nextToken: string | undefined;
  do {
    const page = await iot.send(new ListThingsCommand({ nextToken, maxResults: 250, ...(thingTypeName ? { thingTypeName } : {}) }));
    yield page.things ?? [];
    nextToken = page.nextToken;
  } while (nextToken);
}

export interface GatewayRecord {
  /** `gw-…` (contracts/telemetry-keys.ts): the thing name, and the prefix it writes under. */
  readonly gatewayId: string;
  /** The stack's gateway thing type (output `gateway_thing_type`). */
  readonly thingTypeName: string;
  /** What it is, free text for the operator (`depot-hamburg`, `simulator`); a thing attribute. */
  readonly site?: string;
}

export interface RegisteredGateway extends RegisteredCertificate {
  readonly gatewayId: string;
}

export class InvalidGatewayError extends Error {
  override readonly name = "InvalidGatewayError";
}

export class GatewayAlreadyRegisteredError extends Error {
  override readonly name = "GatewayAlreadyRegisteredError";
  constructor(readonly gatewayId: string) {
    super(`${gatewayId} is already registered (revoke it and register another id)`);
  }
}

export class GatewayNotFoundError extends Error {
  override readonly name = "GatewayNotFoundError";
  constructor(readonly gatewayId: string) {
    super(`${gatewayId} is not a registered fleet gateway`);
  }
}

/**
 * Registers one fleet gateway: a thing of the gateway thing type named by its id, its certificate with
 * the gateway IoT policy (5 IoT calls). The id must be a gateway id (`gw-…`), which is never a VIN.
 *
 * @example
 * const gateway = await registerGateway(iot, "fleetota-dev-gateway", { gatewayId: "gw-depot-7", thingTypeName: "fleetota-dev-gateway" }, { csrPem });
 */
export async function registerGateway(iot: IoTClient, iotPolicyName: string, record: GatewayRecord, options: { csrPem?: string } = {}): Promise<RegisteredGateway> {
  const problem = gatewayIdProblem(record.gatewayId);
  if (problem) throw new InvalidGatewayError(problem);
  if (record.site !== undefined && !ATTRIBUTE_VALUE.test(record.site)) {
    throw new InvalidGatewayError(`site ${JSON.stringify(record.site)} must be 1-800 of letters, digits and _.,@/:#=[]- (no spaces)`);
  }
  try {
    const attributes = record.site ? { site: record.site } : undefined;
    const certificate = await registerThing(iot, { thingName: record.gatewayId, thingTypeName: record.thingTypeName, attributes, iotPolicyName, csrPem: options.csrPem });
    return { gatewayId: record.gatewayId, ...certificate };
  } catch (error) {
    if (error instanceof ThingAlreadyRegistered) throw new GatewayAlreadyRegisteredError(record.gatewayId);
    throw error;
  }
}

/**
 * Deactivates every certificate of a fleet gateway (a thing of the gateway type; a vehicle's id is refused); returns their ids.
 *
 * @example
 * await revokeGateway(iot, "gw-depot-7", "fleetota-dev-gateway"); // ["3a1b…"]
 */
export async function revokeGateway(iot: IoTClient, gatewayId: string, thingTypeName: string): Promise<string[]> {
  if ((await describedThingType(iot, gatewayId)) !== thingTypeName) throw new GatewayNotFoundError(gatewayId);
  const certificateIds = await deactivateCertificates(iot, gatewayId);
  if (!certificateIds) throw new GatewayNotFoundError(gatewayId);
  return certificateIds;
}

export interface ListedGateway {
  readonly gatewayId: string;
  readonly site?: string;
}

/**
 * Every registered fleet gateway (thing of the gateway type), page by page.
 *
 * @example
 * for await (const page of listGateways(iot, "fleetota-dev-gateway")) console.log(page.map((gateway) => gateway.gatewayId));
 */
export async function* listGateways(iot: IoTClient, thingTypeName: string): AsyncGenerator<ListedGateway[]> {
  for await (const things of listThings(iot, thingTypeName)) {
    yield things.filter((thing) => thing.thingTypeName === thingTypeName).map((thing) => ({ gatewayId: thing.thingName!, site: thing.attributes?.site }));
  }
}

/** The thing's type name, null for an untyped thing, undefined when there is no such thing. */
async function describedThingType(iot: IoTClient, thingName: string): Promise<string | null | undefined> {
  try {
    return (await iot.send(new DescribeThingCommand({ thingName }))).thingTypeName ?? null;
  } catch (error) {
    if ((error as Error).name === "ResourceNotFoundException") return undefined;
    throw error;
  }
}

/**
 * Which of these VINs are vehicle things (of the vehicle thing type, or untyped), with a certificate or not yet:
 * a VIN with an identity of its own is never carried by a gateway (identity/gateway-vehicles.ts). A few VINs are
 * asked one DescribeThing each; more, by listing every thing (250 a page) once.
 *
 * @example
 * await registeredVehicleVins(iot, "fleetota-dev-vehicle", ["1HGCM82633A004352", "1M8GDM9AXKP042788"]); // ["1HGCM82633A004352"]
 */
export async function registeredVehicleVins(iot: IoTClient, vehicleThingType: string, vins: readonly string[]): Promise<string[]> {
  const asked = [...new Set(vins)];
  if (asked.length <= REGISTRY_LOOKUPS.describeAtMost) {
    const types = await Promise.all(asked.map((vin) => describedThingType(iot, vin)));
    return asked.filter((_, index) => types[index] !== undefined && isVehicleThingType(types[index], vehicleThingType));
  }
  const wanted = new Set(asked);
  const found: string[] = [];
  for await (const things of listThings(iot)) {
    for (const thing of things) if (thing.thingName && wanted.has(thing.thingName) && isVehicleThingType(thing.thingTypeName, vehicleThingType)) found.push(thing.thingName);
  }
  return found;
}

/** Up to this many VINs are looked up one by one; more are found in one listing of the registry. */
const REGISTRY_LOOKUPS = { describeAtMost: 25 } as const;

/**
 * Whether `gatewayId` is a registered fleet gateway (a thing of the gateway thing type).
 *
 * @example
 * await isGateway(iot, "gw-depot-7", "fleetota-dev-gateway"); // true
 */
export async function isGateway(iot: IoTClient, gatewayId: string, thingTypeName: string): Promise<boolean> {
  return (await describedThingType(iot, gatewayId)) === thingTypeName;
}
