/**
 * Gateway ids and VINs are separate namespaces at registration: each register refuses the other's ids
 * before a single AWS IoT call is made.
 */
import type { IoTClient } from "@aws-sdk/client-iot";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { InvalidGatewayError, InvalidVehicleError, registerGateway, registerVehicle, vehicleRecordProblems } from "../../../identity/provisioning.js";

/** An IoT client that records every command it is asked to send and answers none. */
function recordingIot(): { iot: IoTClient; sent: string[] } {
  const sent: string[] = [];
  const iot = { send: async (command: object) => void sent.push(command.constructor.name) } as unknown as IoTClient;
  return { iot, sent };
}

const VIN = "1HGCM82633A004352";

test("a VIN, in any letter case, or anything not gw-… is refused as a gateway id, and nothing is created", async () => {
  for (const gatewayId of [VIN, VIN.toLowerCase(), "GW-DEPOT-7", "depot-7", "gw-", "gw-depot-", "gw--x", "gw-a/b", `gw-${"a".repeat(62)}`]) {
    const { iot, sent } = recordingIot();
    const refused = await registerGateway(iot, "fleetota-dev-gateway", { gatewayId, thingTypeName: "fleetota-dev-gateway" }).catch((error: unknown) => error);
    assert.instance(refused, InvalidGatewayError, gatewayId);
    assert.equal(sent, [], gatewayId);
  }
});

test("a gateway id is refused as a VIN, and nothing is created", async () => {
  const { iot, sent } = recordingIot();
  const refused = await registerVehicle(iot, { iotPolicyName: "fleetota-dev-vehicle", thingTypeName: "fleetota-dev-vehicle" }, { vin: "gw-depot-7", make: "Honda", model: "Accord", hardware: "tcu-2" }).catch((error: unknown) => error);
  assert.instance(refused, InvalidVehicleError);
  assert.equal(sent, []);
});

test("a site with a space is refused before anything is created", async () => {
  const { iot, sent } = recordingIot();
  const refused = await registerGateway(iot, "p", { gatewayId: "gw-depot-7", thingTypeName: "t", site: "depot hamburg" }).catch((error: unknown) => error);
  assert.instance(refused, InvalidGatewayError);
  assert.equal(sent, []);
});

test("F2: make, model and hardware are the vehicle's own text, any characters; refused only when empty, with control characters, or too long in attribute form", () => {
  assert.equal(vehicleRecordProblems({ vin: VIN, make: "Citroën", model: "Model 3", hardware: "hu-3 (EU)" }), []);
  const problems = vehicleRecordProblems({ vin: VIN, make: "", model: "x\u001b[2J", hardware: "ë".repeat(134) });
  assert.equal(problems.map((problem) => problem.split(" ")[0]), ["make", "model", "hardware"]);
  assert.match(problems[2]!, "its attribute form has 804 characters, AWS IoT holds 800");
});

test.run();
