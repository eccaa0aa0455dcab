/**
 * Which IAM actions one AWS SDK v3 command needs. Most commands need the action of their own name in
 * their service's namespace (`GetObjectCommand` of `@aws-sdk/client-s3` → `s3:GetObject`); the table
 * below lists the commands whose authorization differs, and the DynamoDB document client's commands.
 */

/** IAM namespace of each SDK client package the functions may import. */
export const SERVICE_PREFIX: Readonly<Record<string, string>> = {
  "@aws-sdk/client-s3": "s3",
  "@aws-sdk/client-dynamodb": "dynamodb",
  "@aws-sdk/lib-dynamodb": "dynamodb",
  "@aws-sdk/client-sqs": "sqs",
  "@aws-sdk/client-sns": "sns",
  "@aws-sdk/client-cloudwatch": "cloudwatch",
  "@aws-sdk/client-cloudwatch-logs": "logs",
  "@aws-sdk/client-eventbridge": "events",
  "@aws-sdk/client-ssm": "ssm",
  "@aws-sdk/client-kms": "kms",
  "@aws-sdk/client-iot": "iot",
  "@aws-sdk/client-sts": "sts",
};

/** Commands authorized by an action of another name (AWS Service Authorization Reference). */
const EXCEPTIONS: Readonly<Record<string, Readonly<Record<string, readonly string[]>>>> = {
  "@aws-sdk/client-s3": {
    ListObjectsV2Command: ["s3:ListBucket"],
    ListObjectsCommand: ["s3:ListBucket"],
    ListObjectVersionsCommand: ["s3:ListBucketVersions"],
    HeadObjectCommand: ["s3:GetObject"],
    HeadBucketCommand: ["s3:ListBucket"],
    CopyObjectCommand: ["s3:GetObject", "s3:PutObject"],
    DeleteObjectsCommand: ["s3:DeleteObject"],
    CreateMultipartUploadCommand: ["s3:PutObject"],
    UploadPartCommand: ["s3:PutObject"],
    CompleteMultipartUploadCommand: ["s3:PutObject"],
    AbortMultipartUploadCommand: ["s3:AbortMultipartUpload"],
  },
  "@aws-sdk/client-sqs": {
    SendMessageBatchCommand: ["sqs:SendMessage"],
    DeleteMessageBatchCommand: ["sqs:DeleteMessage"],
    ChangeMessageVisibilityBatchCommand: ["sqs:ChangeMessageVisibility"],
  },
  "@aws-sdk/client-dynamodb": {
    TransactGetItemsCommand: ["dynamodb:GetItem"],
  },
  // The document client wraps the low-level commands under shorter names.
  "@aws-sdk/lib-dynamodb": {
    GetCommand: ["dynamodb:GetItem"],
    PutCommand: ["dynamodb:PutItem"],
    UpdateCommand: ["dynamodb:UpdateItem"],
    DeleteCommand: ["dynamodb:DeleteItem"],
    QueryCommand: ["dynamodb:Query"],
    ScanCommand: ["dynamodb:Scan"],
    BatchGetCommand: ["dynamodb:BatchGetItem"],
    BatchWriteCommand: ["dynamodb:BatchWriteItem"],
    TransactGetCommand: ["dynamodb:GetItem"],
  },
};

/**
 * S3 reads authorized by a second action when they name an object version: a GetObject or HeadObject with
 * a `VersionId`, a CopyObject whose source ends in `?versionId=…` needs `s3:GetObjectVersion`.
 */
export const VERSIONED_READ_ACTIONS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  "@aws-sdk/client-s3": { GetObjectCommand: "s3:GetObjectVersion", HeadObjectCommand: "s3:GetObjectVersion", CopyObjectCommand: "s3:GetObjectVersion" },
};
/** A version named in code: a `VersionId:` parameter or a copy source's `versionId=` query. */
export const NAMES_A_VERSION = /\bVersionId\s*:|[?&]versionId=/;

/**
 * S3 reads whose "no such key" is an answer the code acts on. AWS answers a read of a key (or version) that
 * does not exist with 404 NoSuchKey / NoSuchVersion only to a caller that may also `s3:ListBucket` the
 * bucket (for that key: the key is the request's `s3:prefix`); to any other caller it answers 403
 * AccessDenied, whether the key exists or not. Code that tells a missing object apart therefore needs the
 * listing too, or on AWS its "missing" branch never runs (moto answers 404 to everyone).
 */
export const READS_THAT_CAN_MISS: Readonly<Record<string, ReadonlySet<string>>> = {
  "@aws-sdk/client-s3": new Set(["GetObjectCommand", "HeadObjectCommand", "CopyObjectCommand"]),
};
/** A not-found answer named in code: the SDK's `NoSuchKey` class (esbuild may number it, `NoSuchKey2`) or the error names `NoSuchKey`, `NoSuchVersion`, `NotFound` (HEAD). */
export const NAMES_A_MISSING_OBJECT = /\bNoSuch(?:Key|Version)\d*\b|["']NotFound["']/;
/** What it takes for a missing object to answer 404 rather than 403. */
export const MISSING_OBJECT_ACTION = "s3:ListBucket";

/**
 * Transactions are authorized per item: a TransactWriteItems call needs the action of each kind of
 * item it carries, so its actions come from the item kinds found next to it in the code.
 */
export const TRANSACT_WRITE_COMMANDS: ReadonlySet<string> = new Set(["TransactWriteCommand", "TransactWriteItemsCommand"]);
export const TRANSACT_ITEM_ACTIONS: Readonly<Record<string, string>> = {
  Put: "dynamodb:PutItem",
  Update: "dynamodb:UpdateItem",
  Delete: "dynamodb:DeleteItem",
  ConditionCheck: "dynamodb:ConditionCheckItem",
};

export class UnknownSdkPackageError extends Error {
  override readonly name = "UnknownSdkPackageError";
  constructor(readonly packageName: string, readonly command: string) {
    super(`${command} comes from ${packageName}, which has no IAM namespace in scripts/least-privilege/sdk-actions.ts: add it`);
  }
}

/**
 * The IAM actions one SDK command needs (a transaction's: see TRANSACT_ITEM_ACTIONS).
 *
 * @example
 * actionsOfCommand("@aws-sdk/client-s3", "ListObjectsV2Command") // ["s3:ListBucket"]
 * actionsOfCommand("@aws-sdk/client-kms", "SignCommand")          // ["kms:Sign"]
 */
export function actionsOfCommand(packageName: string, command: string): readonly string[] {
  const prefix = SERVICE_PREFIX[packageName];
  if (!prefix) throw new UnknownSdkPackageError(packageName, command);
  const exception = EXCEPTIONS[packageName]?.[command];
  if (exception) return exception;
  return [`${prefix}:${command.replace(/Command$/, "")}`];
}
