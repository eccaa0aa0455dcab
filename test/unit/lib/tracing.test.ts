import { test } from "uvu";
import * as assert from "uvu/assert";
import { S3Client } from "@aws-sdk/client-s3";

// As Lambda sets it: Tracer turns itself on only inside a Lambda execution environment.
process.env.AWS_EXECUTION_ENV = "AWS_Lambda_nodejs22.x";
delete process.env.POWERTOOLS_TRACE_ENABLED;
const { traced } = await import("../../../lib/tracing.js");
const { s3Client } = await import("../../../lib/aws-clients.js");

const xray = (client: S3Client) => client.middlewareStack.identify().filter((name) => name.startsWith("XRaySDKInstrumentation"));

test("in Lambda, every SDK client the factory makes records its calls as X-Ray subsegments", () => {
  assert.equal(xray(s3Client({})), ["XRaySDKInstrumentation - build"]);
  assert.equal(xray(traced(new S3Client({ region: "eu-central-1" }))).length, 1);
});

test("a plain client (made without the factory) carries no X-Ray instrumentation: the factory is what traces", () => {
  assert.equal(xray(new S3Client({ region: "eu-central-1" })), []);
});

test.run();
