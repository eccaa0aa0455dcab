/** The failure kinds of applying a synthesized stack to the emulator; each names what was wrong. */

export class UnknownResourceTypeError extends Error {
  override readonly name = "UnknownResourceTypeError";
  constructor(readonly resourceType: string, readonly address: string) {
    super(
      `the local cloud does not know the resource type "${resourceType}" (at ${address}); ` +
        `add an applier for it in local/apply/resources/ or list it as skipped there`,
    );
  }
}

export class DependencyCycleError extends Error {
  override readonly name = "DependencyCycleError";
  constructor(readonly addresses: string[]) {
    super(`resources depend on each other in a cycle: ${addresses.join(" → ")}`);
  }
}

export class StackNotFoundError extends Error {
  override readonly name = "StackNotFoundError";
  constructor(detail: string) {
    super(`no synthesized stack: ${detail}`);
  }
}

export class SynthesisError extends Error {
  override readonly name = "SynthesisError";
  constructor(step: string, output: string) {
    super(`"${step}" failed while preparing the stack for the local cloud:\n${output.trim()}`);
  }
}

export class ResourceApplyError extends Error {
  override readonly name = "ResourceApplyError";
  constructor(readonly address: string, cause: unknown) {
    super(`applying ${address} failed: ${cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause)}`, { cause });
  }
}

export class InvalidResourceConfigError extends Error {
  override readonly name = "InvalidResourceConfigError";
  constructor(readonly address: string, detail: string) {
    super(`${address}: ${detail}`);
  }
}
