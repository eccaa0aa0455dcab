/**
 * One speaker a VIN (review 9, R9-G1): a VIN is carried by one fleet gateway at most, and by none while it is a
 * registered vehicle (identity/gateway-vehicles.ts). Binding it to a second gateway, or binding a registered
 * vehicle, is refused with the other holder named and nothing bound; `move` takes it from the other gateway;
 * two binds of one VIN at once never both carry it; a vehicle's registration refuses a VIN a gateway carries,
 * also when the bind runs at the same time. S3 and IoT are in-memory stand-ins answering as they do (412 on a
 * lost conditional write, a strongly consistent listing).
 */
import type { IoTClient } from "@aws-sdk/client-iot";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { GATEWAY_VEHICLES_PREFIX } from "../../../contracts/gateway-vehicles.js";
import { fleetTelemetryKey, parseTelemetryKey } from "../../../contracts/telemetry-keys.js";
import { gatewayHolders, refuseCarriedVehicle, sharedVins, VehicleCarriedByGatewayError } from "../../../identity/gateway-holders.js";
import { changeGatewayVehicles, GatewayVehiclesConflictError } from "../../../identity/gateway-vehicles.js";
import { registeredVehicleVins, registerVehicle } from "../../../identity/provisioning.js";
import { bindingRejection } from "../../../telemetry/uploader-binding.js";
import { G7, G9, gatewayLake, OTHER, VIN } from "./support/gateway-lake.js";

const VEHICLE_TYPE = "fleetota-dev-vehicle";

/** AWS IoT's registry: things with a type and principals; what registerVehicle and registeredVehicleVins ask. */
function registry(hooks: { everyCall?: () => Promise<void>; beforeCreateThing?: () => Promise<void>; onDescribe?: () => void } = {}) {
  const things = new Map<string, { thingTypeName?: string; principals: string[] }>();
  let certificates = 0;
  const iot = {
    async send(command: { constructor: { name: string }; input: Record<string, string> }) {
      await hooks.everyCall?.();
      const { thingName } = command.input;
      switch (command.constructor.name) {
        case "CreateThingCommand":
          await hooks.beforeCreateThing?.();
          if (!things.has(thingName!)) things.set(thingName!, { thingTypeName: command.input.thingTypeName, principals: [] });
          return {};
        case "DeleteThingCommand":
          things.delete(thingName!);
          return {};
        case "DescribeThingCommand": {
          hooks.onDescribe?.();
          const thing = things.get(thingName!);
          if (!thing) throw Object.assign(new Error("not found"), { name: "ResourceNotFoundException" });
          return { thingName, thingTypeName: thing.thingTypeName };
        }
        case "ListThingsCommand":
          return { things: [...things].map(([name, thing]) => ({ thingName: name, thingTypeName: thing.thingTypeName })) };
        case "ListThingPrincipalsCommand":
          return { principals: things.get(thingName!)?.principals ?? [] };
        case "CreateKeysAndCertificateCommand":
          certificates++;
          return { certificateId: `c${certificates}`, certificateArn: `arn:aws:iot:eu-central-1:1:cert/c${certificates}`, certificatePem: "pem", keyPair: { PrivateKey: "key" } };
        case "AttachThingPrincipalCommand":
          things.get(thingName!)!.principals.push(command.input.principal!);
          return {};
        default:
          return {};
      }
    },
  } as unknown as IoTClient;
  return { iot, things };
}

const refusal = (promise: Promise<unknown>) => promise.then(() => undefined, (error: unknown) => error);

test("R9-G1: a VIN another gateway carries is refused, that gateway named, nothing bound; the second gateway's records for it stay refused", async () => {
  const world = gatewayLake();
  await changeGatewayVehicles(world.s3, "lake", G7, { bind: [VIN] });

  const error = await refusal(changeGatewayVehicles(world.s3, "lake", G9, { bind: [OTHER, VIN] }));

  assert.instance(error, GatewayVehiclesConflictError);
  assert.match((error as Error).message, `${VIN} is bound to ${G7}`);
  assert.match((error as Error).message, "--move");
  assert.equal((error as GatewayVehiclesConflictError).conflicts, [{ vin: VIN, heldBy: { gatewayId: G7, pending: false } }]);
  assert.equal(world.documentOf(G9)?.vins, [], "all or nothing: OTHER, free, is not bound either");
  assert.equal(world.claims(G9), [], "the claim was withdrawn");
  assert.ok(world.carries(G7, VIN), "the first gateway keeps it");
  const uploader = parseTelemetryKey(fleetTelemetryKey(G9, Date.now(), "1"));
  assert.ok(bindingRejection(uploader, { vin: VIN, ota: undefined }, new Set(world.documentOf(G9)!.vins)), `${G9}'s record for ${VIN} is refused`);
});

test("R9-G1: a registered vehicle (its own identity) is refused; the registry is asked only about the VINs not carried yet", async () => {
  const world = gatewayLake();
  const asked: string[][] = [];
  const registeredVehicles = async (vins: readonly string[]) => (asked.push([...vins]), vins.filter((vin) => vin === VIN));

  const error = await refusal(changeGatewayVehicles(world.s3, "lake", G7, { bind: [VIN, OTHER] }, { registeredVehicles }));
  assert.instance(error, GatewayVehiclesConflictError);
  assert.match((error as Error).message, `${VIN} is a registered vehicle`);
  assert.not.match((error as Error).message, OTHER, "only the holder of the refused VIN is named");
  assert.equal(world.documentOf(G7)?.vins, []);
  assert.equal(world.claims(G7), []);

  await changeGatewayVehicles(world.s3, "lake", G7, { bind: [OTHER] }, { registeredVehicles });
  await changeGatewayVehicles(world.s3, "lake", G7, { bind: [OTHER] }, { registeredVehicles });
  assert.equal(asked, [[VIN, OTHER], [OTHER]], "a VIN already carried is not asked again");
});

test("registeredVehicleVins: vehicle things (typed or untyped) count, a gateway or a thing of another type does not; one listing for many VINs", async () => {
  const { iot, things } = registry();
  things.set(VIN, { thingTypeName: VEHICLE_TYPE, principals: [] });
  things.set(OTHER, { principals: [] }); // registered before vehicles had a type
  things.set("1G1YY22G965104378", { thingTypeName: "fleetota-dev-gateway", principals: [] });
  const asked = [VIN, OTHER, "1G1YY22G965104378", "1FTFW1ET5DFC10312"];
  assert.equal((await registeredVehicleVins(iot, VEHICLE_TYPE, asked)).sort(), [VIN, OTHER].sort());
  const many = [...asked, ...Array.from({ length: 40 }, (_, index) => `1HGCM82633A0${String(index).padStart(5, "0")}`)];
  assert.equal((await registeredVehicleVins(iot, VEHICLE_TYPE, many)).sort(), [VIN, OTHER].sort());
});

test("--move takes the VIN from the gateway carrying it: afterwards exactly one gateway carries it", async () => {
  const world = gatewayLake();
  await changeGatewayVehicles(world.s3, "lake", G7, { bind: [VIN, OTHER] });

  const moved = await changeGatewayVehicles(world.s3, "lake", G9, { bind: [VIN], move: true });

  assert.equal(moved, { gatewayId: G9, bound: 1, unbound: 0, vehicles: 1, moved: { [G7]: 1 } });
  assert.equal(world.documentOf(G7)?.vins, [OTHER]);
  assert.equal(world.documentOf(G9)?.vins, [VIN]);
  const registeredVehicles = async (vins: readonly string[]) => vins;
  assert.instance(await refusal(changeGatewayVehicles(world.s3, "lake", G7, { bind: [VIN], move: true }, { registeredVehicles })), GatewayVehiclesConflictError, "--move never takes a registered vehicle");
  assert.ok(world.carries(G9, VIN));
});

test("--move of a whole depot stays linear: 60,000 VINs moved well within 15 s (a copy of the list per VIN took 45 s)", async () => {
  const world = gatewayLake();
  const vins = Array.from({ length: 60_000 }, (_, index) => `WP0ZZZ99Z${String(index).padStart(8, "0")}`);
  await changeGatewayVehicles(world.s3, "lake", G7, { bind: vins });
  const started = performance.now();

  const moved = await changeGatewayVehicles(world.s3, "lake", G9, { bind: vins, move: true });

  assert.equal(moved.moved, { [G7]: vins.length });
  assert.ok(performance.now() - started < 15_000, `took ${Math.round(performance.now() - started)} ms`);
});

test("two binds of one VIN to two gateways at once: never both carry it, whichever order their reads and writes take", async () => {
  // Each bind's listing held until both have listed or 20 ms passed: the interleaving where a check-then-write bind lets both through.
  for (let round = 0; round < 30; round++) {
    let waiting: Array<() => void> = [];
    const beforeList = () =>
      new Promise<void>((resolve) => {
        waiting.push(resolve);
        if (waiting.length === 2) waiting.splice(0).forEach((release) => release());
        else setTimeout(resolve, 20);
      });
    const yieldEvery = () => new Promise<void>((resolve) => (Math.random() < 0.5 ? setImmediate(resolve) : resolve()));
    const world = gatewayLake({ beforeList: round % 2 ? beforeList : undefined, yieldEvery });
    const outcomes = await Promise.all([G7, G9].map((gatewayId) => refusal(changeGatewayVehicles(world.s3, "lake", gatewayId, { bind: [VIN] }))));
    const carriers = [G7, G9].filter((gatewayId) => world.carries(gatewayId, VIN));
    assert.ok(carriers.length <= 1, `round ${round}: carried by ${carriers.join(" and ")}`);
    outcomes.forEach((outcome, index) => assert.is(outcome === undefined, carriers.includes([G7, G9][index]!), `round ${round}: a bind that returned carries it`));
    assert.equal([...world.claims(G7), ...world.claims(G9)], [], "no claim left behind");
    waiting = [];
  }
});

test("a claim left by an interrupted bind blocks other gateways with a clear reason; unbinding it there, or binding again there, clears it", async () => {
  const world = gatewayLake();
  await changeGatewayVehicles(world.s3, "lake", G7, { bind: [OTHER] });
  // What a bind interrupted between its claim and its check leaves behind.
  world.put({ gatewayId: G7, vins: [OTHER], pending: [VIN] }, '"interrupted"');

  const error = await refusal(changeGatewayVehicles(world.s3, "lake", G9, { bind: [VIN], move: true }));
  assert.instance(error, GatewayVehiclesConflictError, "a claim is not carried, so --move does not take it");
  assert.match((error as Error).message, `${VIN} is being bound to ${G7}`);
  assert.not.ok(world.carries(G7, VIN), "a pending VIN is carried by nobody");

  assert.equal(await changeGatewayVehicles(world.s3, "lake", G7, { bind: [VIN] }), { gatewayId: G7, bound: 1, unbound: 0, vehicles: 2 }, "bound again: the claim completes");
  await changeGatewayVehicles(world.s3, "lake", G7, { unbind: [VIN] });
  assert.equal(world.claims(G7), []);
  assert.equal((await changeGatewayVehicles(world.s3, "lake", G9, { bind: [VIN] })).bound, 1);
});

test("revoke's unbind --all clears carried and claimed VINs: nothing of the gateway holds any VIN", async () => {
  const world = gatewayLake();
  await changeGatewayVehicles(world.s3, "lake", G7, { bind: [VIN, OTHER] });
  world.put({ gatewayId: G7, vins: [VIN], pending: [OTHER] }, '"x"');
  assert.equal((await changeGatewayVehicles(world.s3, "lake", G7, { unbindAll: true })).unbound, 1);
  assert.equal(world.documentOf(G7), { gatewayId: G7, vins: [], updatedAt: world.documentOf(G7)!.updatedAt });
  assert.equal((await gatewayHolders(world.s3, "lake").holdersOf([VIN, OTHER])).size, 0);
  assert.ok([...world.stored.keys()].every((key) => key.startsWith(GATEWAY_VEHICLES_PREFIX)));
});

test("registration refuses a VIN a gateway carries, after creating the thing (deleted again, no certificate); a free VIN registers", async () => {
  const world = gatewayLake();
  const { iot, things } = registry();
  await changeGatewayVehicles(world.s3, "lake", G7, { bind: [VIN] });
  const holders = gatewayHolders(world.s3, "lake");
  const where = { iotPolicyName: "p", thingTypeName: VEHICLE_TYPE };
  const record = (vin: string) => ({ vin, make: "Honda", model: "Accord", hardware: "tcu-2" });

  const error = await refusal(registerVehicle(iot, where, record(VIN), { beforeCertificate: () => refuseCarriedVehicle(holders, VIN) }));
  assert.instance(error, VehicleCarriedByGatewayError);
  assert.match((error as Error).message, `${VIN} is bound to fleet gateway ${G7}`);
  assert.match((error as Error).message, `fleetota gateways unbind ${G7} ${VIN}`);
  assert.not.ok(things.has(VIN), "no thing left behind");

  const registered = await registerVehicle(iot, where, record(OTHER), { beforeCertificate: () => refuseCarriedVehicle(holders, OTHER) });
  assert.is(registered.vin, OTHER);
  assert.equal(things.get(OTHER)?.principals.length, 1);
});

test("a registration and a bind of one VIN at the same time: never a registered vehicle that a gateway carries", async () => {
  const pause = () => new Promise<void>((resolve) => setTimeout(resolve, Math.random() * 2));
  for (let round = 0; round < 40; round++) {
    // Odd rounds: the thing is created only once the bind has asked the registry (or 30 ms passed), the schedule where a
    // registration that checked the gateways before creating its thing, and a bind that asks the registry, both pass.
    let described = () => {};
    const bindAsked = new Promise<void>((resolve) => ((described = resolve), setTimeout(resolve, 30)));
    const world = gatewayLake({ yieldEvery: pause });
    const { iot, things } = registry({
      everyCall: pause,
      beforeCreateThing: round % 2 ? () => bindAsked : undefined,
      onDescribe: () => described(),
    });
    const holders = gatewayHolders(world.s3, "lake");
    const registeredVehicles = (vins: readonly string[]) => registeredVehicleVins(iot, VEHICLE_TYPE, vins);
    await Promise.all([
      refusal(registerVehicle(iot, { iotPolicyName: "p", thingTypeName: VEHICLE_TYPE }, { vin: VIN, make: "Honda", model: "Accord", hardware: "tcu-2" }, { beforeCertificate: () => refuseCarriedVehicle(holders, VIN) })),
      refusal(changeGatewayVehicles(world.s3, "lake", G7, { bind: [VIN] }, { registeredVehicles })),
    ]);
    assert.not.ok(things.has(VIN) && world.carries(G7, VIN), `round ${round}: registered and carried`);
  }
});

test("sharedVins: what documents from before the rule may hold (two gateways, a gateway and a registered vehicle, a claim left pending); one speaker each is not listed", async () => {
  const world = gatewayLake();
  const FREE = "JH4KA7561PC008269";
  world.put({ gatewayId: G7, vins: [VIN, OTHER, FREE] }, `"${G7}"`);
  world.put({ gatewayId: G9, vins: [VIN], pending: [OTHER] }, `"${G9}"`);
  const registeredVehicles = async (vins: readonly string[]) => vins.filter((vin) => vin === OTHER);

  assert.equal(await sharedVins(gatewayHolders(world.s3, "lake"), registeredVehicles), [
    { vin: VIN, gateways: [G7, G9], pending: [], registeredVehicle: false },
    { vin: OTHER, gateways: [G7], pending: [G9], registeredVehicle: true },
  ]);
});

test.run();
