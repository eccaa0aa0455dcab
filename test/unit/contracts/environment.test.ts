import { test } from "uvu";
import * as assert from "uvu/assert";
import { ENV, InvalidEnvironmentError, MissingEnvironmentError, positiveIntegerEnv, requireEnv } from "../../../contracts/environment.js";

test("requireEnv returns a set variable", () => {
  assert.is(requireEnv(ENV.DATA_BUCKET, { [ENV.DATA_BUCKET]: "bucket-a" }), "bucket-a");
});

test("requireEnv names the missing variable", () => {
  try {
    requireEnv(ENV.STATE_TABLE, {});
    assert.unreachable("should have thrown");
  } catch (error) {
    assert.instance(error, MissingEnvironmentError);
    assert.match((error as Error).message, "FLEETOTA_STATE_TABLE");
  }
});

test("every environment variable name is unique", () => {
  const names = Object.values(ENV);
  assert.is(new Set(names).size, names.length);
});

test("positiveIntegerEnv: the fallback when unset, the number when whole and above 0, a named error otherwise", () => {
  assert.is(positiveIntegerEnv(ENV.FLEET_STATE_MAX_VEHICLES, 7, {}), 7);
  assert.is(positiveIntegerEnv(ENV.FLEET_STATE_MAX_VEHICLES, 7, { [ENV.FLEET_STATE_MAX_VEHICLES]: "" }), 7);
  assert.is(positiveIntegerEnv(ENV.FLEET_STATE_MAX_VEHICLES, 7, { [ENV.FLEET_STATE_MAX_VEHICLES]: "250000" }), 250_000);
  for (const text of ["0", "-3", "1.5", "lots"]) {
    assert.throws(() => positiveIntegerEnv(ENV.FLEET_STATE_MAX_VEHICLES, 7, { [ENV.FLEET_STATE_MAX_VEHICLES]: text }), (error: unknown) => error instanceof InvalidEnvironmentError && /FLEETOTA_FLEET_STATE_MAX_VEHICLES/.test((error as Error).message));
  }
});

test.run();
