/**
 * Vehicle Identification Number rules (ISO 3779, with the North American check digit of 49 CFR 565).
 *
 * The check digit (position 9) is mandatory for vehicles made for North America and China; European
 * manufacturers may put anything there (`WP0ZZZ99ZTS392124` is a real Porsche VIN that fails the
 * check-digit arithmetic). The validator therefore enforces it only where the WMI's region requires it.
 */

/** Letters I, O and Q never appear in a VIN (too easily read as 1 and 0). */
export const VIN_PATTERN = /^[A-HJ-NPR-Z0-9]{17}$/;

const TRANSLITERATION: Readonly<Record<string, number>> = {
  A: 1, B: 2, C: 3, D: 4, E: 5, F: 6, G: 7, H: 8,
  J: 1, K: 2, L: 3, M: 4, N: 5, P: 7, R: 9,
  S: 2, T: 3, U: 4, V: 5, W: 6, X: 7, Y: 8, Z: 9,
};
const POSITION_WEIGHTS = [8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2] as const;

/** Model-year codes of position 10, repeating every 30 years (no I, O, Q, U, Z, 0). */
const MODEL_YEAR_CODES = "ABCDEFGHJKLMNPRSTVWXY123456789";
const MODEL_YEAR_CYCLE_START = 1980;

export const VIN_RULE = {
  Length: "length",
  Alphabet: "alphabet",
  CheckDigit: "check-digit",
  ModelYearCode: "model-year-code",
} as const;
export type VinRule = (typeof VIN_RULE)[keyof typeof VIN_RULE];

export interface VinViolation {
  rule: VinRule;
  message: string;
}

/** What a valid VIN breaks: one shared empty list, so the common case allocates nothing. */
const NO_VIOLATIONS: readonly VinViolation[] = Object.freeze([]);

/**
 * Per character code (0–127): the transliterated value plus one for a character allowed in a VIN, 0 for
 * one that is not. One table answers both the alphabet rule and the check-digit arithmetic in a single
 * pass over the VIN, without a regular expression or a keyed lookup per character.
 */
const VIN_CHARACTER_TABLE = (() => {
  const table = new Uint8Array(128);
  for (let digit = 0; digit <= 9; digit++) table[48 + digit] = digit + 1;
  for (const [letter, value] of Object.entries(TRANSLITERATION)) table[letter.charCodeAt(0)] = value + 1;
  return table;
})();

function characterValue(character: string): number {
  const digit = character.charCodeAt(0) - 48;
  return digit >= 0 && digit <= 9 ? digit : (TRANSLITERATION[character] ?? 0);
}

/**
 * Computes the check digit (`0`–`9` or `X`) for a 17-character VIN; position 9 itself is ignored.
 *
 * @example
 * computeCheckDigit("1HGCM82633A004352"); // "3"
 */
export function computeCheckDigit(vin: string): string {
  let sum = 0;
  for (let position = 0; position < 17; position++) sum += characterValue(vin[position]!) * POSITION_WEIGHTS[position]!;
  const remainder = sum % 11;
  return remainder === 10 ? "X" : String(remainder);
}

/**
 * True when the WMI places the manufacturer in a region whose law mandates the check digit: North
 * America (1–5, and the newer 7F–7Z block SAE assigns to US makers such as Tesla `7SA` and Rivian
 * `7FC`) and China (L).
 *
 * @example
 * requiresCheckDigit("5YJ3E1EA7KF317000"); // true
 * requiresCheckDigit("WP0ZZZ99ZTS392124"); // false
 */
export function requiresCheckDigit(vin: string): boolean {
  const first = vin[0];
  const second = vin[1] ?? "";
  if (first === "7") return second >= "F" && second <= "Z";
  return first === "L" || (first !== undefined && first >= "1" && first <= "5");
}

/**
 * The position-10 code for a model year, e.g. `K` for 2019 and `S` for 2025.
 *
 * @example
 * modelYearCode(2019); // "K"
 */
export function modelYearCode(year: number): string {
  const index = (((year - MODEL_YEAR_CYCLE_START) % 30) + 30) % 30;
  return MODEL_YEAR_CODES[index]!;
}

/**
 * Decodes the model year of a North American VIN: position 7 numeric means 1980–2009, a letter 2010–2039.
 * Undefined when position 10 is not a model-year code.
 *
 * @example
 * decodeModelYear("1M8GDM9AXKP042788"); // 2019
 */
export function decodeModelYear(vin: string): number | undefined {
  const index = MODEL_YEAR_CODES.indexOf(vin[9] ?? "");
  if (index < 0) return undefined;
  const laterCycle = /[A-Z]/.test(vin[6] ?? "");
  return MODEL_YEAR_CYCLE_START + index + (laterCycle ? 30 : 0);
}

/**
 * Every rule the VIN breaks (empty when valid). The check digit and the model-year code are only
 * enforced where `requiresCheckDigit` says the law mandates them.
 *
 * @example
 * vinViolations("1HGCM82633A004352"); // []
 * vinViolations("1HGCM82643A004352"); // [{ rule: "check-digit", message: "position 9 is 4, expected 3" }]
 */
export function vinViolations(vin: string): readonly VinViolation[] {
  if (vin.length !== 17) return [{ rule: VIN_RULE.Length, message: `has ${vin.length} characters, expected 17` }];
  // The alphabet (VIN_PATTERN) and the check-digit sum in one pass over the character codes.
  let sum = 0;
  for (let position = 0; position < 17; position++) {
    const code = vin.charCodeAt(position);
    const entry = code < 128 ? VIN_CHARACTER_TABLE[code]! : 0;
    if (entry === 0) return [{ rule: VIN_RULE.Alphabet, message: "only 0-9 and A-Z without I, O, Q are allowed" }];
    sum += (entry - 1) * POSITION_WEIGHTS[position]!;
  }
  if (!requiresCheckDigit(vin)) return NO_VIOLATIONS;
  const remainder = sum % 11;
  const expected = remainder === 10 ? "X" : String(remainder);
  const checkDigitWrong = vin[8] !== expected;
  const modelYearWrong = !MODEL_YEAR_CODES.includes(vin[9]!);
  if (!checkDigitWrong && !modelYearWrong) return NO_VIOLATIONS;
  const violations: VinViolation[] = [];
  if (checkDigitWrong) violations.push({ rule: VIN_RULE.CheckDigit, message: `position 9 is ${vin[8]}, expected ${expected}` });
  if (modelYearWrong) violations.push({ rule: VIN_RULE.ModelYearCode, message: `position 10 "${vin[9]}" is not a model-year code` });
  return violations;
}

/**
 * True when `vinViolations` finds nothing.
 *
 * @example
 * isValidVin("WP0ZZZ99ZTS392124"); // true (European: no check digit required)
 */
export function isValidVin(vin: string): boolean {
  return vinViolations(vin).length === 0;
}
