/**
 * Review 12, R12-01 on the emulator with the real AWS SDK: `vehicles register` shares one gatewayHolders
 * (identity/gateway-holders.ts) across the registrations it runs at once. A GET answered late (sent before a bind
 * changed the gateway's document) used to overwrite the newer document another call had cached, and a registration
 * that read every other document answered from the stale one: it missed a bind completed before it started. Now
 * each call answers from the versions its own listing named: the registration refuses. The one thing held is the
 * delivery of one GET's answer (an SDK middleware on the shared client waits before handing it back), as a slow
 * response would.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { LOCAL_CREDENTIALS } from "../../../../local/apply/context.js";
import { startEmulator, type Emulator } from "../../../../local/emulator.js";
import { readGatewayVehicles } from "../../../../identity/gateway-document.js";
import { gatewayHolders, refuseCarriedVehicle } from "../../../../identity/gateway-holders.js";
import { changeGatewayVehicles } from "../../../../identity/gateway-vehicles.js";
import { gatewayVehiclesKey } from "../../../../contracts/gateway-vehicles.js";
import { gate } from "../../../unit/support/gate.js";

const LAKE = "lake";
const VIN = "1HGCM82633A004352";
const G7 = "gw-depot-7";
const G9 = "gw-depot-9";

let emulator: Emulator;
let operator: S3Client; // the binding operator's client
let registrations: S3Client; // the one client `vehicles register` uses for every registration's listing and reads
/** Answers watched, by key: `answered()` is called once the answer is in hand, then it is held until `held` (if any). */
const holds = new Map<string, { held?: Promise<void>; answered: () => void }>();

/**
 * Holds the next answer to a GET of `key` until `open()` (or, with `hold: false`, only watches it); `answered`
 * resolves once that GET was answered (and is held). Waiting on it, not on a fixed time, puts the calls in the
 * order the race needs however slow the machine.
 */
function holdAnswer(key: string, { hold = true } = {}): { answered: Promise<void>; open: () => void } {
  const slow = gate();
  const answer = gate();
  holds.set(key, { ...(hold ? { held: slow.held } : {}), answered: answer.open });
  return { answered: answer.held, open: slow.open };
}

/** Lets every continuation already due run (an answer in hand is decoded and cached without I/O) before going on. */
const settled = () => new Promise((resolve) => setImmediate(resolve));

test.before(async () => {
  emulator = await startEmulator();
  const config = { endpoint: emulator.endpoint, region: "eu-central-1", credentials: LOCAL_CREDENTIALS, forcePathStyle: true };
  operator = new S3Client(config);
  registrations = new S3Client(config);
  registrations.middlewareStack.add(
    (next, context) => async (args) => {
      const result = await next(args);
      const key = (args.input as { Key?: string }).Key;
      if (context.commandName === "GetObjectCommand" && key && holds.has(key)) {
        const { held, answered } = holds.get(key)!;
        holds.delete(key);
        // The answer (the document as S3 served it, before the bind) arrives late; buffered so it is that version.
        const output = result.output as { Body?: { transformToByteArray(): Promise<Uint8Array> } };
        const bytes = await output.Body!.transformToByteArray();
        output.Body = { transformToByteArray: async () => bytes } as never;
        answered();
        await held;
      }
      return result;
    },
    { step: "initialize", name: "slowAnswer" },
  );
  await operator.send(new CreateBucketCommand({ Bucket: LAKE, CreateBucketConfiguration: { LocationConstraint: "eu-central-1" } }));
});

test.after(async () => {
  operator?.destroy();
  registrations?.destroy();
  await emulator?.stop();
});

test("R12-01: a slow answer from before a bind (shared holders cache) does not hide the bind from a registration that starts after it: refused", async () => {
  await changeGatewayVehicles(operator, LAKE, G7, { bind: ["WP0ZZZ99ZTS392124"] });
  await changeGatewayVehicles(operator, LAKE, G9, { bind: ["1M8GDM9AXKP042788"] });
  const carriers = gatewayHolders(registrations, LAKE); // runRegister: one for the whole CSV

  // Registration Z (another car): its GET of G7's document is served now and answered late.
  const slowZ = holdAnswer(gatewayVehiclesKey(G7));
  const z = refuseCarriedVehicle(carriers, "WP0ZZZ99ZTS000001");
  await slowZ.answered; // served before the bind

  // An operator binds VIN to G7, checked against the registry (VIN is no thing yet): done.
  await changeGatewayVehicles(operator, LAKE, G7, { bind: [VIN] }, { registeredVehicles: async () => [] });
  assert.ok((await readGatewayVehicles(operator, LAKE, G7)).document!.vins.includes(VIN), "G7 carries VIN");

  // Any bind elsewhere meanwhile (G9's document changes too, so X reads it as well).
  await changeGatewayVehicles(operator, LAKE, G9, { bind: ["VF7NXHMZ6PY500017"] });

  // Registration X of VIN (its thing created, as registerVehicle does, then the documents asked). It reads G7 afresh
  // (ETag changed) and G9; Z's late answer lands between X's read of G7 and of G9.
  const freshX = holdAnswer(gatewayVehiclesKey(G7), { hold: false });
  const slowX = holdAnswer(gatewayVehiclesKey(G9));
  const x = refuseCarriedVehicle(carriers, VIN).then(() => "registered", (error: Error) => error.message);
  await Promise.all([freshX.answered, slowX.answered]); // X has read G7 afresh; its answer of G9 is held
  await settled();
  slowZ.open();
  await z;
  slowX.open();

  assert.match(await x, `${VIN} is bound to fleet gateway ${G7}`, "X sees the bind and refuses");
  assert.ok((await readGatewayVehicles(operator, LAKE, G7)).document!.vins.includes(VIN), "G7 carries VIN, its one speaker");
});

test.run();
