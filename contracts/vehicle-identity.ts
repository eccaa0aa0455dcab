/**
 * Names of the vehicle identity resources, shared by the stack (modules/vehicle-identity.ts), the CLI
 * (`fleetota vehicles`) and the local cloud, so nothing spells them twice.
 */

/**
 * @example
 * vehicleIdentityNames("fleetota-dev"); // { role: "fleetota-dev-vehicle", roleAlias: "fleetota-dev-vehicle", iotPolicy: "fleetota-dev-vehicle" }
 */
export function vehicleIdentityNames(namePrefix: string): { role: string; roleAlias: string; iotPolicy: string } {
  const name = `${namePrefix}-vehicle`;
  return { role: name, roleAlias: name, iotPolicy: name };
}

/** Header of the credentials provider's request naming the thing (the VIN) the certificate speaks for. */
export const THING_NAME_HEADER = "x-amzn-iot-thingname";

/** The thing attributes a vehicle is registered with (identity/provisioning.ts), which campaign targeting trusts. */
export const VEHICLE_ATTRIBUTE = { Make: "make", Model: "model", Hardware: "hardware", ModelYear: "modelYear" } as const;

/**
 * A vehicle fact as a thing attribute value: AWS IoT allows only `[a-zA-Z0-9_.,@/:#=\[\]-]`, so every other
 * character becomes `_` (`Model 3` → `Model_3`). Registration and the registry check both use it. The form is
 * lossy (`hu-3 (EU)` and `hu-3 <EU>`, `Citroën` and `Citroén` share one): a value may be compared in it only when
 * `attributeTextProblem` finds nothing.
 *
 * @example
 * thingAttributeValue("Model 3"); // "Model_3"
 */
export function thingAttributeValue(value: string): string {
  return value.replace(/[^\w.,@/:#=[\]-]/g, "_") || "unknown";
}

/** Text whose attribute form stands for it alone, but for the documented space ≡ `_` (`Model 3` ≡ `Model_3`). */
const EXACT_ATTRIBUTE_TEXT = /^[A-Za-z0-9 _.,@/:#=[\]-]+$/;

/**
 * Why a make, model or hardware value cannot be told apart from others by the registry, or undefined when it can:
 * it must be ASCII letters, digits, spaces and `_.,@/:#=[]-` only, and not mix spaces and `_` (then `Model 3` and
 * `Model_3` are the only two values sharing an attribute form). `campaign create` refuses such a selector value,
 * and the registry check refuses such a claim where a campaign selects that fact (campaigns/registry-check.ts).
 *
 * @example
 * attributeTextProblem("Model 3"); // undefined
 * attributeTextProblem("hu-3 (EU)"); // "has characters the registry cannot tell apart: …"
 */
export function attributeTextProblem(value: string): string | undefined {
  if (!EXACT_ATTRIBUTE_TEXT.test(value)) {
    return "has characters the registry cannot tell apart: AWS IoT attributes hold each character other than ASCII letters, digits and _.,@/:#=[]- as _ (a space too, the one equivalence accepted)";
  }
  if (value.includes(" ") && value.includes("_")) {
    return "mixes spaces and _: AWS IoT attributes hold a space as _, so only a value with spaces or one with _ can be told apart";
  }
  return undefined;
}
