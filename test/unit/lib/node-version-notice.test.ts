import { test } from "uvu";
import * as assert from "uvu/assert";
import { silenceSdkNodeVersionNotice } from "../../../lib/node-version-notice.js";

const SWITCH = "AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED";

test("on Node 20 the SDK's Node-version notice is switched off", () => {
  const env: NodeJS.ProcessEnv = {};
  assert.ok(silenceSdkNodeVersionNotice(env, "v20.20.2"));
  assert.is(env[SWITCH], "true");
});

test("on Node 22 and later nothing is changed", () => {
  for (const version of ["v22.0.0", "v24.3.1"]) {
    const env: NodeJS.ProcessEnv = {};
    assert.not.ok(silenceSdkNodeVersionNotice(env, version));
    assert.equal(env, {});
  }
});

test("a value the user set is kept, whatever it is", () => {
  const env: NodeJS.ProcessEnv = { [SWITCH]: "false" };
  assert.not.ok(silenceSdkNodeVersionNotice(env, "v20.20.2"));
  assert.is(env[SWITCH], "false");
});

test.run();
