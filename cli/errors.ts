/**
 * Failure kinds of the operator CLI. Each is reported as one plain line on stderr and exit code 1;
 * anything else that escapes is a bug and is reported with its stack.
 */
export class CliError extends Error {
  override readonly name: string = "CliError";
}

/** Arguments or options that cannot be right (bad number, unknown state, missing value). */
export class UsageError extends CliError {
  override readonly name = "UsageError";
}

/** Neither the local cloud nor the AWS settings say where the stack is. */
export class TargetResolutionError extends CliError {
  override readonly name = "TargetResolutionError";
}

/** A file the operator named cannot be read or is not what it should be. */
export class InputFileError extends CliError {
  override readonly name = "InputFileError";
  constructor(
    readonly path: string,
    detail: string,
  ) {
    super(`${path}: ${detail}`);
  }
}

/** The cloud refused or failed an operation the command needs. */
export class CloudOperationError extends CliError {
  override readonly name = "CloudOperationError";
}

/** A named campaign, job or release does not exist. */
export class NotFoundError extends CliError {
  override readonly name = "NotFoundError";
}
