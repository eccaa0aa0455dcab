/**
 * Review 12, R12-01: `vehicles register` shares one `gatewayHolders` across the registrations it runs at once
 * (cli/commands/vehicles.ts, concurrency 4 by default). A GET of a gateway's document served before a bind wrote it
 * and answered late, after another call cached the newer version, used to replace that newer version in the shared
 * cache; a registration whose own listing found the document unchanged then answered from the older document,
 * missed the completed bind and registered the VIN while the gateway carried it (two speakers). Each call now
 * answers from the versions its own listing named, and a late answer never replaces an entry cached meanwhile.
 *
 * The interleaving is held with gates on an in-memory lake that answers as S3 does (a GET answers the version that
 * was current when it was served; conditional writes; a strongly consistent listing): support/gateway-lake.ts.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { gatewayHolders, refuseCarriedVehicle } from "../../../identity/gateway-holders.js";
import { changeGatewayVehicles } from "../../../identity/gateway-vehicles.js";
import { G7, G9, gatewayLake, OTHER, VIN } from "./support/gateway-lake.js";

const SPARE = "WP0ZZZ99ZTS392124";

const settle = () => new Promise<void>((resolve) => setTimeout(resolve, 5));

const answer = (registration: Promise<void>) => registration.then(() => "registered", (error: Error) => error.message);

/**
 * Registration Z's GET of G7's document is served before an operator binds VIN to G7 and answered late; with
 * `thirdReads`, registration Y reads G7's new document into the shared cache meanwhile. Registration X of VIN then
 * asks while Z's stale answer lands. Returns X's outcome.
 */
async function race(thirdReads: boolean) {
  const world = gatewayLake();
  // Two gateways with documents already (G9 carries an unrelated VIN).
  await changeGatewayVehicles(world.s3, "lake", G7, { bind: [SPARE] });
  await changeGatewayVehicles(world.s3, "lake", G9, { bind: [OTHER] });
  const things = new Set<string>(); // the vehicle registry: a registration creates its thing before asking the documents
  const registeredVehicles = async (vins: readonly string[]) => vins.filter((vin) => things.has(vin));
  // `vehicles register --csv` : one gatewayHolders for every registration in flight (cli/commands/vehicles.ts runRegister).
  const carriers = gatewayHolders(world.s3, "lake");

  // Registration Z (another car) lists and reads every document; its GET of G7's document is served now, answered late.
  const slowG7 = world.holdNextGet(G7);
  const z = refuseCarriedVehicle(carriers, "WP0ZZZ99ZTS000002");
  await settle();

  // An operator binds VIN to G7 (claim, check: VIN is no thing yet, carry): G7's document changes.
  await changeGatewayVehicles(world.s3, "lake", G7, { bind: [VIN] }, { registeredVehicles });
  assert.ok(world.carries(G7, VIN), "the bind won: G7 carries VIN");

  // Registration Y (a third car) reads G7's new document into the shared cache.
  if (thirdReads) await refuseCarriedVehicle(carriers, "WP0ZZZ99ZTS000003");

  // Another gateway's document changes (any bind elsewhere), so the next registration has a document to read.
  await changeGatewayVehicles(world.s3, "lake", G9, { bind: ["VF7NXHMZ6PY500017"] });

  // Registration X of VIN: CreateThing first (as registerVehicle does), then asks the documents. Its listing finds
  // G7's ETag equal to the cached one (Y's) or reads G7 itself, and reads G9 ... while Z's stale answer for G7 lands.
  things.add(VIN);
  const slowG9 = world.holdNextGet(G9);
  const x = answer(refuseCarriedVehicle(carriers, VIN));
  await settle();
  slowG7.open(); // Z's answer (G7 before the bind) lands while X waits for G9
  await z;
  slowG9.open();
  return { outcome: await x, world, carriers };
}

test("R12-01: a slow answer from before a bind does not hide the bind from a registration that starts after it", async () => {
  const { outcome, world, carriers } = await race(true);
  assert.match(outcome, `${VIN} is bound to fleet gateway ${G7}`, "X sees the bind and refuses");

  // The late answer did not replace the newer entry: a question now reads nothing again and still sees the bind.
  world.gets.length = 0;
  assert.match(await answer(refuseCarriedVehicle(carriers, VIN)), `${VIN} is bound to fleet gateway ${G7}`);
  assert.equal(world.gets, [], "no document read again (the cache holds the versions listed)");
});

test("R12-01: a slow answer from before a bind does not replace the newer document a registration read itself", async () => {
  const { outcome, world } = await race(false);
  assert.match(outcome, `${VIN} is bound to fleet gateway ${G7}`, "X sees the bind and refuses");
  assert.ok(world.carries(G7, VIN), "G7 carries VIN, its one speaker");
});

test.run();
