/**
 * Names of the vehicle identity resources, shared by the stack (modules/vehicle-identity.ts), the CLI
 * (`fleetota vehicles`) and the local cloud, so nothing spells them twice.
 */

export interface VehicleIdentityNames {
  readonly role: string;
  readonly roleAlias: string;
  readonly iotPolicy: string;
  /** The thing type every vehicle thing is registered with (AWS IoT holds at most 3 attributes on an untyped thing, 50 on a typed one). */
  readonly thingType: string;
}

/**
 * @example
 * vehicleIdentityNames("fleetota-dev"); // { role: "fleetota-dev-vehicle", roleAlias: "fleetota-dev-vehicle", iotPolicy: "fleetota-dev-vehicle", thingType: "fleetota-dev-vehicle" }
 */
export function vehicleIdentityNames(namePrefix: string): VehicleIdentityNames {
  const name = `${namePrefix}-vehicle`;
  return { role: name, roleAlias: name, iotPolicy: name, thingType: name };
}

/**
 * Whether a thing of this type is a vehicle: a thing of the vehicle thing type, or an untyped thing (a vehicle
 * registered before vehicles had a type; `fleetota vehicles retype` gives it the type). A thing of any other type
 * (a fleet gateway's, another stack's, another application's) never is. The type is compared by its exact name.
 *
 * @example
 * isVehicleThingType("fleetota-dev-vehicle", "fleetota-dev-vehicle"); // true
 * isVehicleThingType(undefined, "fleetota-dev-vehicle"); // true (untyped, registered before the type)
 * isVehicleThingType("fleetota-dev-gateway", "fleetota-dev-vehicle"); // false
 */
export function isVehicleThingType(thingTypeName: string | null | undefined, vehicleThingType: string): boolean {
  return !thingTypeName || thingTypeName === vehicleThingType;
}

/** Header of the credentials provider's request naming the thing (the VIN) the certificate speaks for. */
export const THING_NAME_HEADER = "x-amzn-iot-thingname";

/** The thing attributes a vehicle is registered with (identity/provisioning.ts), which campaign targeting trusts. */
export const VEHICLE_ATTRIBUTE = { Make: "make", Model: "model", Hardware: "hardware", ModelYear: "modelYear", Form: "attributeForm" } as const;

/**
 * The value of the `attributeForm` attribute on a thing whose make, model and hardware are written in the injective
 * form (`thingAttributeValue`): registration and `reencode` write it. A thing without it was registered before and
 * may hold the lossy form (`legacyAttributeValue`), in which `hu_3` (the lossy form of `hu_3`, `hu 3`, `hu(3`…) also
 * reads as the injective form of `hu 3`: any of its values holding `_` or `=` is read as lossy, never as exact.
 */
export const INJECTIVE_ATTRIBUTE_FORM = "q1";

/**
 * Whether a thing's stored make/model/hardware value may be in the lossy form: the thing has no injective-form marker
 * and the value holds `_` or `=` (a value without them reads the same in both forms).
 *
 * @example
 * mayBeLossy("hu_3", undefined); // true
 * mayBeLossy("hu_3", INJECTIVE_ATTRIBUTE_FORM); // false
 */
export function mayBeLossy(form: string, attributeForm: string | undefined): boolean {
  return attributeForm !== INJECTIVE_ATTRIBUTE_FORM && /[_=]/.test(form);
}

/** Characters an attribute value holds as themselves: AWS IoT's attribute charset but the escape `=` and `_` (a space). */
const LITERAL = /^[A-Za-z0-9.,@/:#[\]-]$/;
/** AWS IoT's limit on an attribute value's length. */
export const ATTRIBUTE_VALUE_MAX_LENGTH = 800;

/**
 * A vehicle fact (make, model, hardware) as a thing attribute value, injectively: AWS IoT allows only
 * `[a-zA-Z0-9_.,@/:#=\[\]-]`, so, as in RFC 2047's "Q" encoding, a space becomes `_`, and `_`, `=` and every
 * character outside that set become `=XX` per UTF-8 byte (upper-case hex); the rest stand for themselves.
 * Injective over every JavaScript string (a lone surrogate too, written as WTF-8 does).
 * Distinct values get distinct forms (`Citroën` → `Citro=C3=ABn`, `Citroén` → `Citro=C3=A9n`; `hu-3 (EU)` →
 * `hu-3_=28EU=29`), and `factFromAttributeValue` reads a form back. Plain values keep the form they had in the
 * lossy form used before (`Model 3` → `Model_3`, `Honda` → `Honda`); see `legacyAttributeValue`.
 *
 * @example
 * thingAttributeValue("Model 3"); // "Model_3"
 * thingAttributeValue("Citroën"); // "Citro=C3=ABn"
 */
export function thingAttributeValue(value: string): string {
  let form = "";
  for (const character of value) {
    if (character === " ") form += "_";
    else if (LITERAL.test(character)) form += character;
    else for (const byte of utf8Bytes(character.codePointAt(0)!)) form += `=${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return form;
}

/** A code point's UTF-8 bytes; a lone surrogate (JSON may carry one) gets its own 3 bytes, as in WTF-8, not U+FFFD's. */
function utf8Bytes(codePoint: number): number[] {
  if (codePoint < 0x80) return [codePoint];
  if (codePoint < 0x800) return [0xc0 | (codePoint >> 6), 0x80 | (codePoint & 0x3f)];
  if (codePoint < 0x10000) return [0xe0 | (codePoint >> 12), 0x80 | ((codePoint >> 6) & 0x3f), 0x80 | (codePoint & 0x3f)];
  return [0xf0 | (codePoint >> 18), 0x80 | ((codePoint >> 12) & 0x3f), 0x80 | ((codePoint >> 6) & 0x3f), 0x80 | (codePoint & 0x3f)];
}

/**
 * The fact an attribute value stands for (`thingAttributeValue` read back), or undefined when the text is not
 * a form `thingAttributeValue` writes (lower-case hex, a stray `=`, bytes that are not UTF-8, an escaped
 * character that stands for itself): each fact has exactly one form.
 *
 * @example
 * factFromAttributeValue("Citro=C3=ABn"); // "Citroën"
 * factFromAttributeValue("Citro_n"); // "Citro n"
 */
export function factFromAttributeValue(form: string): string | undefined {
  const bytes: number[] = [];
  for (let index = 0; index < form.length; index++) {
    const character = form[index]!;
    if (character === "=") {
      const hex = form.slice(index + 1, index + 3);
      if (!/^[0-9A-F]{2}$/.test(hex)) return undefined;
      bytes.push(Number.parseInt(hex, 16));
      index += 2;
    } else if (character === "_") bytes.push(0x20);
    else if (LITERAL.test(character)) bytes.push(character.charCodeAt(0));
    else return undefined;
  }
  let fact: string;
  try {
    fact = new TextDecoder("utf-8", { fatal: true }).decode(Uint8Array.from(bytes));
  } catch {
    return undefined;
  }
  return thingAttributeValue(fact) === form ? fact : undefined;
}

/**
 * The lossy attribute form FleetOTA registered vehicles with before `thingAttributeValue` became injective: every
 * character outside `[a-zA-Z0-9_.,@/:#=\[\]-]` as `_`. Read only to tell an operator that a thing was registered
 * in it (campaigns/registry-check.ts): such a thing still matches where a campaign does not select that fact.
 *
 * @example
 * legacyAttributeValue("Citroën"); // "Citro_n"
 */
export function legacyAttributeValue(value: string): string {
  return value.replace(/[^\w.,@/:#=[\]-]/g, "_") || "unknown";
}
