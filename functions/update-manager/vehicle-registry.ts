import { DescribeThingCommand, type IoTClient } from "@aws-sdk/client-iot";
import type { RegisteredVehicleFacts, VehicleRegistry } from "../../campaigns/registry-check.js";
import { isVehicleThingType, VEHICLE_ATTRIBUTE } from "../../contracts/vehicle-identity.js";

/**
 * The vehicle registry in AWS IoT: a vehicle is a thing of the vehicle thing type named by its VIN (or an
 * untyped one, registered before vehicles had a type), with the attributes `fleetota vehicles register` gave it
 * (identity/provisioning.ts). One DescribeThing (`iot:DescribeThing` on the vehicles' things). No such thing, or
 * one of any other type (a fleet gateway's), is no registered vehicle; any other error is thrown, so the message
 * is retried.
 *
 * @example
 * import { iotClient } from "../../lib/aws-clients.js";
 * const registry = iotVehicleRegistry(iotClient(), "fleetota-dev-vehicle");
 * await registry.describe("1HGCM82633A004352"); // { vin, make: "Honda", model: "Accord", hardware: "hu-3" }
 */
export function iotVehicleRegistry(iot: IoTClient, vehicleThingType: string): VehicleRegistry {
  return {
    async describe(vin: string): Promise<RegisteredVehicleFacts | undefined> {
      let thing;
      try {
        thing = await iot.send(new DescribeThingCommand({ thingName: vin }));
      } catch (error) {
        if ((error as Error).name === "ResourceNotFoundException") return undefined;
        throw error;
      }
      if (!isVehicleThingType(thing.thingTypeName, vehicleThingType)) return undefined;
      const attributes = thing.attributes ?? {};
      const modelYear = attributes[VEHICLE_ATTRIBUTE.ModelYear];
      return {
        vin,
        ...(attributes[VEHICLE_ATTRIBUTE.Make] === undefined ? {} : { make: attributes[VEHICLE_ATTRIBUTE.Make] }),
        ...(attributes[VEHICLE_ATTRIBUTE.Model] === undefined ? {} : { model: attributes[VEHICLE_ATTRIBUTE.Model] }),
        ...(attributes[VEHICLE_ATTRIBUTE.Hardware] === undefined ? {} : { hardware: attributes[VEHICLE_ATTRIBUTE.Hardware] }),
        ...(modelYear !== undefined && /^\d{4}$/.test(modelYear) ? { modelYear: Number(modelYear) } : {}),
        ...(attributes[VEHICLE_ATTRIBUTE.Form] === undefined ? {} : { attributeForm: attributes[VEHICLE_ATTRIBUTE.Form] }),
      };
    },
  };
}
