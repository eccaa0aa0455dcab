import { test } from "uvu";
import * as assert from "uvu/assert";
import { LOCAL_CREDENTIALS, LOCAL_PRINCIPAL_KEY, localPrincipalOf, localRoleUniqueId } from "../../../../local/identity/local-principals.js";

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

test("a role's local unique id is shaped as AWS's (AROA + 17), stable for its name and distinct between roles", () => {
  const processor = localRoleUniqueId("fleetota-dev-telemetry-processor-role");
  assert.match(processor, /^AROA[0-9A-F]{17}$/);
  assert.is(localRoleUniqueId("fleetota-dev-telemetry-processor-role"), processor);
  assert.is.not(localRoleUniqueId("fleetota-dev-rollout-ticker-role"), processor);
});

test.run();
