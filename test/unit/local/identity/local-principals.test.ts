import { test } from "uvu";
import * as assert from "uvu/assert";
import { LOCAL_CREDENTIALS, LOCAL_PRINCIPAL_KEY, localPrincipalOf } from "../../../../local/identity/local-principals.js";

test("each local principal is named by its key", () => {
  assert.is(localPrincipalOf(LOCAL_CREDENTIALS.accessKeyId), "operator");
  assert.is(localPrincipalOf(`${LOCAL_PRINCIPAL_KEY.functionPrefix}fleetota-dev-update-manager`), "function:fleetota-dev-update-manager");
  assert.is(localPrincipalOf(LOCAL_PRINCIPAL_KEY.eventSourceMapping), "esm");
  assert.is(localPrincipalOf(LOCAL_PRINCIPAL_KEY.emulation), "emulation");
});

test("look-alikes name no principal", () => {
  for (const key of ["", "fleetota-local ", "Fleetota-local", "fleetota-fn-", "fleetota-fn-a/b", `fleetota-fn-${"x".repeat(65)}`, "fleetota-esm-", "ASIAVEHICLE0"]) {
    assert.is(localPrincipalOf(key), undefined, key);
  }
});

test.run();
