/**
 * Registered test vehicles on a local cloud (their own key and CSR, registered in the emulator's IoT) and
 * SDK clients signing with their credentials, for the identity tests.
 */
import type { IoTClient } from "@aws-sdk/client-iot";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { S3Client } from "@aws-sdk/client-s3";
import { SQSClient } from "@aws-sdk/client-sqs";
import { createKeyAndCsr } from "../../../../../identity/certificates.js";
import { registerVehicle } from "../../../../../identity/provisioning.js";
import type { CredentialsRequestError, VehicleCredentials, VehicleIdentityMaterial } from "../../../../../identity/vehicle-credentials.js";
import type { TestCloud } from "../../../support/local-cloud.js";

/**
 * Registers `vin` from a CSR made here and returns what the vehicle would hold.
 *
 * @example
 * const identity = await registerTestVehicle(world, iot, "1HGCM82633A004352");
 * import { fetchVehicleCredentials } from "../../../../../identity/vehicle-credentials.js";
 * const credentials = await fetchVehicleCredentials(identity);
 */
export async function registerTestVehicle(
  world: TestCloud,
  iot: IoTClient,
  vin: string,
  facts: { make: string; model: string; hardware: string } = { make: "Honda", model: "Accord", hardware: "tcu-2" },
): Promise<VehicleIdentityMaterial> {
  const { privateKeyPem, csrPem } = await createKeyAndCsr(vin);
  const registered = await registerVehicle(iot, { iotPolicyName: world.outputs.vehicle_iot_policy!, thingTypeName: world.outputs.vehicle_thing_type! }, { vin, ...facts }, { csrPem });
  const provider = world.cloud.description.credentialsProvider!;
  return {
    vin,
    certificatePem: registered.certificatePem,
    privateKeyPem,
    credentialsEndpoint: provider.endpoint,
    roleAlias: world.outputs.vehicle_role_alias!,
    caCertificatePem: provider.caCertificatePem,
  };
}

/** S3 (path-style), DynamoDB and SQS clients of the local cloud signing with `credentials`. */
export function clientsWith(world: TestCloud, credentials: VehicleCredentials | { accessKeyId: string; secretAccessKey: string }): { s3: S3Client; dynamo: DynamoDBClient; sqs: SQSClient } {
  const config = { endpoint: world.cloud.clientConfig.endpoint, region: world.cloud.clientConfig.region, credentials, maxAttempts: 1 };
  return { s3: new S3Client({ ...config, forcePathStyle: true }), dynamo: new DynamoDBClient(config), sqs: new SQSClient(config) };
}

/** The error a refused call ends with: its name and HTTP status. Fails when the call succeeds. */
export async function refusal(work: Promise<unknown>): Promise<{ name: string; status?: number }> {
  try {
    await work;
  } catch (error) {
    return { name: (error as Error).name, status: (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode ?? (error as CredentialsRequestError).statusCode };
  }
  throw new Error("expected a refusal, the request succeeded");
}
