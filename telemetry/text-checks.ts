/**
 * Hand-written equivalents of the schema's string patterns, for the validator's fast path
 * (telemetry/schema.ts `surelyValid`). Each gives exactly the answer of the regular expression ajv
 * compiles from the JSON Schema (with its `u` flag), checked by a differential test on hostile input
 * (test/unit/telemetry/text-checks.test.ts); they only spare the regex engine's per-call cost.
 */

/**
 * `^[^\u0000-\u001f\u007f-\u009f]*$` with the `u` flag: no C0 control, DEL or C1 control. A code
 * point outside those ranges (a surrogate pair, even a lone surrogate) never is one, so looking at
 * UTF-16 units is the same test.
 *
 * @example
 * isPrintable("Model 3"); // true
 * isPrintable("a\u0085b"); // false
 */
export function isPrintable(text: string): boolean {
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code < 0x20 || (code >= 0x7f && code <= 0x9f)) return false;
  }
  return true;
}

const isDigit = (code: number): boolean => code >= 48 && code <= 57;
const isVersionSuffixCode = (code: number): boolean =>
  isDigit(code) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code === 45 /* - */ || code === 46; /* . */

/**
 * `^\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.-]+)?$` (a semantic version such as `2.4.1` or `2.4.1-rc.1`).
 * `\d` is ASCII digits only, with or without the `u` flag.
 *
 * @example
 * isSemanticVersion("2.4.1-rc.1"); // true
 * isSemanticVersion("v2.4.1"); // false
 */
export function isSemanticVersion(text: string): boolean {
  let index = 0;
  for (let part = 0; part < 3; part++) {
    if (part > 0) {
      if (text.charCodeAt(index) !== 46 /* . */) return false;
      index++;
    }
    const start = index;
    while (index < text.length && isDigit(text.charCodeAt(index))) index++;
    if (index === start) return false;
  }
  if (index === text.length) return true;
  const sign = text.charCodeAt(index);
  if (sign !== 45 /* - */ && sign !== 43 /* + */) return false;
  index++;
  if (index === text.length) return false;
  for (; index < text.length; index++) if (!isVersionSuffixCode(text.charCodeAt(index))) return false;
  return true;
}

const MS_PER_DAY = 86_400_000;
/** Days of each month (1-based) in a common year. */
const MONTH_DAYS = [0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] as const;

/** Days from 1970-01-01 to the given proleptic Gregorian date (H. Hinnant's days_from_civil). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

/** Two ASCII digits at `index` as a number, or -1. */
function twoDigits(text: string, index: number): number {
  const tens = text.charCodeAt(index) - 48;
  const ones = text.charCodeAt(index + 1) - 48;
  return tens >= 0 && tens <= 9 && ones >= 0 && ones <= 9 ? tens * 10 + ones : -1;
}

/**
 * Epoch milliseconds of a timestamp in the one shape `Date.prototype.toISOString` writes
 * (`2026-11-26T17:35:00.000Z`: 24 characters, milliseconds, UTC), or NaN for any other string.
 * A number means the schema's `ts` pattern matches the string and `Date.parse` gives that number; NaN
 * means "not decided here": the caller asks the pattern and `Date.parse`, as before.
 *
 * @example
 * canonicalTimestampMs("2026-11-26T17:35:00.000Z"); // 1795714500000 (= Date.parse of it)
 * canonicalTimestampMs("2026-02-29T00:00:00.000Z"); // NaN (no such day)
 * canonicalTimestampMs("2026-11-26T17:35:00Z"); // NaN (another shape: left to the pattern and Date.parse)
 */
export function canonicalTimestampMs(text: string): number {
  if (
    text.length !== 24 ||
    text.charCodeAt(4) !== 45 /* - */ ||
    text.charCodeAt(7) !== 45 ||
    text.charCodeAt(10) !== 84 /* T */ ||
    text.charCodeAt(13) !== 58 /* : */ ||
    text.charCodeAt(16) !== 58 ||
    text.charCodeAt(19) !== 46 /* . */ ||
    text.charCodeAt(23) !== 90 /* Z */
  ) {
    return Number.NaN;
  }
  const century = twoDigits(text, 0);
  const yearOfCentury = twoDigits(text, 2);
  const month = twoDigits(text, 5);
  const day = twoDigits(text, 8);
  const hour = twoDigits(text, 11);
  const minute = twoDigits(text, 14);
  const second = twoDigits(text, 17);
  const milliTens = twoDigits(text, 20);
  const milliOnes = text.charCodeAt(22) - 48;
  if (century < 0 || yearOfCentury < 0 || milliTens < 0 || milliOnes < 0 || milliOnes > 9) return Number.NaN;
  if (month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) return Number.NaN;
  const year = century * 100 + yearOfCentury;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  if (day > (month === 2 && leap ? 29 : MONTH_DAYS[month]!)) return Number.NaN;
  return daysFromCivil(year, month, day) * MS_PER_DAY + hour * 3_600_000 + minute * 60_000 + second * 1000 + milliTens * 10 + milliOnes;
}
