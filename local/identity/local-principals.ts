/**
 * The local cloud's own principals, in one place: who may call the front door without a vehicle (or
 * other IoT) session, told by the access key id of the SigV4 credential scope.
 *
 * - the operator: the CLI, `npm start`, the applier, the simulator's gateway mode and the tests
 *   (`LOCAL_CREDENTIALS`, key `fleetota-local`);
 * - each local Lambda with its own key, `fleetota-fn-<function name>` (as each function has its own role
 *   on AWS);
 * - the runtime's event source mappings (`fleetota-esm`) and its emulation of AWS's own work, such as
 *   alarm evaluation and AWS/* metrics (`fleetota-emulation`).
 *
 * On loopback these keys are a convention, not a secret: the front door recognises them by key id only
 * and does not recompute signatures. What it does authenticate is a session (the token only the vehicle
 * received over mutual TLS). Anything signed with any other key is refused (local/identity/front-door.ts).
 * Pure, and light enough for the CLI bundle.
 */
import { createHash } from "node:crypto";

/** The operator's credentials on the local cloud (the CLI, `npm start`, the applier, tests). */
export const LOCAL_CREDENTIALS = { accessKeyId: "fleetota-local", secretAccessKey: "fleetota-local" } as const;

/** Access key ids of the local principals. */
export const LOCAL_PRINCIPAL_KEY = {
  functionPrefix: "fleetota-fn-",
  eventSourceMapping: "fleetota-esm",
  emulation: "fleetota-emulation",
  operator: LOCAL_CREDENTIALS.accessKeyId,
} as const;

/** `function:<name>`, `esm`, `emulation` (AWS does this itself, unbilled) or `operator`. */
export type LocalPrincipal = `function:${string}` | "esm" | "emulation" | "operator";

/** Function names as the stack makes them (letters, digits, `-`, `_`), at most 64 characters, as Lambda allows. */
const FUNCTION_NAME = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * The local principal an access key id names, or undefined when it names none.
 *
 * @example
 * localPrincipalOf("fleetota-fn-fleetota-dev-update-manager"); // "function:fleetota-dev-update-manager"
 * localPrincipalOf("fleetota-local"); // "operator"
 * localPrincipalOf("AKIAMADEUP"); // undefined
 */
export function localPrincipalOf(accessKeyId: string): LocalPrincipal | undefined {
  if (accessKeyId.startsWith(LOCAL_PRINCIPAL_KEY.functionPrefix)) {
    const name = accessKeyId.slice(LOCAL_PRINCIPAL_KEY.functionPrefix.length);
    return FUNCTION_NAME.test(name) ? `function:${name}` : undefined;
  }
  if (accessKeyId === LOCAL_PRINCIPAL_KEY.eventSourceMapping) return "esm";
  if (accessKeyId === LOCAL_PRINCIPAL_KEY.emulation) return "emulation";
  if (accessKeyId === LOCAL_PRINCIPAL_KEY.operator) return "operator";
  return undefined;
}

/** What BundledFunction (modules/bundled-function.ts) names a function's role: `<function name>-role`. */
export const FUNCTION_ROLE_SUFFIX = "-role";

/**
 * The unique id the local cloud gives an IAM role (IAM is not applied locally, so a skipped role gets one
 * derived from its name): `AROA` and 17 upper-case hex digits of SHA-256(`role:<name>`), shaped as AWS's role ids.
 * The emulator's SQS stamps the same id, before `:<function name>`, as the `SenderId` of what a local function
 * sends (local/emulator-patches/serve.py, `_local_sender_id`), as SQS does with the function's role on AWS.
 *
 * @example
 * localRoleUniqueId("fleetota-dev-telemetry-processor-role"); // "AROA…" (21 characters)
 */
export function localRoleUniqueId(roleName: string): string {
  return `AROA${createHash("sha256").update(`role:${roleName}`).digest("hex").slice(0, 17).toUpperCase()}`;
}
