import { gzipSync } from "node:zlib";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { decodeGatewayVehicles, encodeGatewayVehicles, GATEWAY_VEHICLES_LIMITS, GatewayVehiclesDocumentError, gatewayVehiclesKey } from "../../../contracts/gateway-vehicles.js";

const A = "1HGCM82633A004352";
const B = "1M8GDM9AXKP042788";
const G = "gw-depot-7";
const at = "2026-12-02T10:00:00.000Z";

test("round trip: VINs sorted and unique, under the gateway's key", () => {
  const document = decodeGatewayVehicles(G, encodeGatewayVehicles({ gatewayId: G, vins: [B, A, B], updatedAt: at }));
  assert.equal(document, { gatewayId: G, vins: [A, B], updatedAt: at });
  assert.is(gatewayVehiclesKey(G), "registry/gateways/gw-depot-7/vehicles.json.gz");
});

test("a bind's pending VINs round-trip apart from the carried ones (a VIN both carried and pending is carried)", () => {
  const document = decodeGatewayVehicles(G, encodeGatewayVehicles({ gatewayId: G, vins: [A], pending: [B, A, B], updatedAt: at }));
  assert.equal(document, { gatewayId: G, vins: [A], pending: [B], updatedAt: at });
  assert.equal(decodeGatewayVehicles(G, encodeGatewayVehicles({ gatewayId: G, vins: [A], pending: [], updatedAt: at })), { gatewayId: G, vins: [A], updatedAt: at });
  assert.throws(() => decodeGatewayVehicles(G, gzipSync(JSON.stringify({ gatewayId: G, vins: [A], pending: [7], updatedAt: at }))), (error: unknown) => error instanceof GatewayVehiclesDocumentError);
});

test("a document copied under another gateway's key, of another shape, not gzip, or too large is refused", () => {
  const refused = (bytes: Uint8Array, gatewayId = G) => {
    try {
      decodeGatewayVehicles(gatewayId, bytes);
      return undefined;
    } catch (error) {
      return error;
    }
  };
  assert.instance(refused(encodeGatewayVehicles({ gatewayId: "gw-depot-8", vins: [A], updatedAt: at })), GatewayVehiclesDocumentError, "another gateway's document");
  assert.instance(refused(gzipSync(JSON.stringify({ gatewayId: G, vins: "1HGCM82633A004352", updatedAt: at }))), GatewayVehiclesDocumentError);
  assert.instance(refused(gzipSync(JSON.stringify({ gatewayId: G, vins: [1], updatedAt: at }))), GatewayVehiclesDocumentError);
  assert.instance(refused(gzipSync("null")), GatewayVehiclesDocumentError);
  assert.instance(refused(Buffer.from("{}")), GatewayVehiclesDocumentError, "not gzip");
  assert.instance(refused(gzipSync(Buffer.alloc(GATEWAY_VEHICLES_LIMITS.maxDocumentBytes + 1, 0x20))), GatewayVehiclesDocumentError, "decodes past the limit");
});

test("more VINs than a gateway may carry are refused when written", () => {
  const vins = Array.from({ length: GATEWAY_VEHICLES_LIMITS.maxVehicles + 1 }, (_, index) => `V${String(index).padStart(16, "0")}`);
  assert.throws(() => encodeGatewayVehicles({ gatewayId: G, vins, updatedAt: at }), (error: unknown) => error instanceof GatewayVehiclesDocumentError);
});

test.run();
