import { test } from "uvu";
import * as assert from "uvu/assert";
import { callsInSection, importedCommands, projectSections } from "../../../../scripts/least-privilege/code-actions.js";
import { actionsOfCommand, UnknownSdkPackageError } from "../../../../scripts/least-privilege/sdk-actions.js";

test("imports: value imports of commands and paginators count, type-only imports and non-commands do not", () => {
  const source = [
    'import { GetObjectCommand, ListObjectsV2Command as List, NoSuchKey, type S3Client } from "@aws-sdk/client-s3";',
    'import type { PutObjectCommand } from "@aws-sdk/client-s3";',
    'import { paginateQuery, QueryCommand } from "@aws-sdk/lib-dynamodb";',
    'import { z } from "zod";',
  ].join("\n");

  assert.equal(
    importedCommands(source).map((imported) => `${imported.packageName} ${imported.command}`),
    ["@aws-sdk/client-s3 GetObjectCommand", "@aws-sdk/client-s3 ListObjectsV2Command", "@aws-sdk/lib-dynamodb QueryCommand", "@aws-sdk/lib-dynamodb QueryCommand"],
  );
});

test("sections: the bundle is cut at each project file's marker; dependencies are left out", () => {
  const bundle = "// node_modules/x/index.js\nvar x = 1;\n// campaigns/store.ts\nvar a = 1;\n// lib/logger.ts\nvar b = 2;\n// campaigns/store.ts\nvar c = 3;\n";

  const sections = projectSections(bundle);

  assert.equal([...sections.keys()], ["campaigns/store.ts", "lib/logger.ts"]);
  assert.match(sections.get("campaigns/store.ts")!, /var a = 1;[\s\S]*var c = 3;/);
  assert.not.match(sections.get("lib/logger.ts")!, /var a/);
});

test("calls: only commands the surviving section instantiates count, in either bundling style", () => {
  const source = 'import { GetObjectCommand, PutObjectCommand, DeleteObjectCommand } from "@aws-sdk/client-s3";';
  const section = "await s3.send(new GetObjectCommand2({}));\nawait s3.send(new import_client_s3.PutObjectCommand({}));\n";

  assert.equal(callsInSection("f.ts", source, section).map((call) => call.actions[0]), ["s3:GetObject", "s3:PutObject"]);
});

test("calls: an S3 read that names a version needs s3:GetObjectVersion too; one that names none does not", () => {
  const source = 'import { CopyObjectCommand, GetObjectCommand } from "@aws-sdk/client-s3";';
  const byVersion = "await s3.send(new GetObjectCommand({ Bucket, Key, VersionId: object.versionId }));";
  const copyOfVersion = "await s3.send(new CopyObjectCommand2({ CopySource: `${bucket}/${key}?versionId=${encodeURIComponent(version)}` }));";
  const plain = "await s3.send(new GetObjectCommand({ Bucket, Key }));";

  assert.equal(callsInSection("f.ts", source, byVersion)[0]!.actions, ["s3:GetObject", "s3:GetObjectVersion"]);
  assert.equal(callsInSection("f.ts", source, copyOfVersion)[0]!.actions, ["s3:GetObject", "s3:PutObject", "s3:GetObjectVersion"]);
  assert.equal(callsInSection("f.ts", source, plain)[0]!.actions, ["s3:GetObject"]);
});

test("calls: an S3 read whose file acts on a missing object needs s3:ListBucket too (AWS answers 404 only to a lister); one that does not, not", () => {
  const source = 'import { GetObjectCommand, HeadObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";';
  const missingIsAnAnswer = [
    "try { await s3.send(new GetObjectCommand({ Bucket, Key })); } catch (error) { if (error instanceof NoSuchKey2) return undefined; throw error; }",
    'catch (error) { if (["NoSuchKey", "NoSuchVersion"].includes(error.name)) throw objectMissing(object); } new GetObjectCommand({ Bucket, Key, VersionId });',
    'new HeadObjectCommand({ Bucket, Key }); if (error.name === "NotFound") return false;',
  ];
  const anyErrorFails = "const response = await s3.send(new GetObjectCommand({ Bucket, Key })); await s3.send(new PutObjectCommand({ Bucket, Key, Body }));";

  for (const section of missingIsAnAnswer) assert.ok(callsInSection("f.ts", source, section)[0]!.actions.includes("s3:ListBucket"), section);
  assert.equal(callsInSection("f.ts", source, anyErrorFails).map((call) => call.actions), [["s3:GetObject"], ["s3:PutObject"]]);
  assert.equal(
    callsInSection("f.ts", source, "new PutObjectCommand({ Bucket, Key }); if (error instanceof NoSuchKey) return;")[0]!.actions,
    ["s3:PutObject"],
    "only reads: a write is answered the same either way",
  );
});

test("calls: a transaction needs the action of each kind of item written next to it", () => {
  const source = 'import { TransactWriteCommand } from "@aws-sdk/lib-dynamodb";';
  const section = "new TransactWriteCommand({ TransactItems: [{ Put: put }, { Update: { Key } }] });";

  assert.equal(callsInSection("store.ts", source, section)[0]!.actions, ["dynamodb:PutItem", "dynamodb:UpdateItem"]);
});

test("command table: renamed authorizations and the document client's short names", () => {
  assert.equal(actionsOfCommand("@aws-sdk/client-s3", "ListObjectsV2Command"), ["s3:ListBucket"]);
  assert.equal(actionsOfCommand("@aws-sdk/client-s3", "CopyObjectCommand"), ["s3:GetObject", "s3:PutObject"]);
  assert.equal(actionsOfCommand("@aws-sdk/client-sqs", "SendMessageBatchCommand"), ["sqs:SendMessage"]);
  assert.equal(actionsOfCommand("@aws-sdk/lib-dynamodb", "GetCommand"), ["dynamodb:GetItem"]);
  assert.equal(actionsOfCommand("@aws-sdk/client-kms", "SignCommand"), ["kms:Sign"]);
  assert.throws(() => actionsOfCommand("@aws-sdk/client-bedrock", "InvokeModelCommand"), (error: unknown) => error instanceof UnknownSdkPackageError);
});

test.run();
