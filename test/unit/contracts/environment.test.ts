import { test } from "uvu";
import * as assert from "uvu/assert";
import { ENV, MissingEnvironmentError, requireEnv } from "../../../contracts/environment.js";

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

test.run();
