import { test } from "uvu";
import * as assert from "uvu/assert";
import { s3Client } from "../../../lib/aws-clients.js";

test("S3 is path style when the endpoint is overridden (the local cloud), virtual-hosted on AWS", async () => {
  assert.is(s3Client({ AWS_ENDPOINT_URL: "http://localhost:4566" }).config.forcePathStyle, true);
  assert.is(s3Client({ AWS_ENDPOINT_URL_S3: "http://s3.local:4566" }).config.forcePathStyle, true);
  assert.is(s3Client({}).config.forcePathStyle, false);
});

test.run();
