import { computeCheckDigit, modelYearCode } from "../telemetry/vin.js";
import { MARKET, type VehicleModel } from "./catalog.js";
import type { SeededRandom } from "./random.js";

const VIN_LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ";
const VIN_CHARACTERS = `${VIN_LETTERS}0123456789`;
const MAX_SERIAL = 999_999;

export class SerialOutOfRangeError extends Error {
  override readonly name = "SerialOutOfRangeError";
  constructor(readonly serial: number) {
    super(`VIN serial ${serial} is outside 0–${MAX_SERIAL}`);
  }
}

function characters(random: SeededRandom, alphabet: string, count: number): string {
  let text = "";
  for (let index = 0; index < count; index++) text += alphabet[Math.floor(random.next() * alphabet.length)];
  return text;
}

/**
 * A VIN the way the model's market writes it. North American and Chinese VINs carry the computed
 * check digit and a letter in position 7 from model year 2010 on (so the year decodes into the right
 * 30-year cycle); European VINs use the `ZZZ` filler and no check digit. The serial (positions 12–17)
 * makes VINs of one fleet unique.
 *
 * @example
 * import { VEHICLE_MODELS } from "./catalog.js";
 * generateVin(random, VEHICLE_MODELS[0]!, 2021, 42); // "5YJ…M…000042", passes isValidVin
 */
export function generateVin(random: SeededRandom, model: VehicleModel, modelYear: number, serial: number): string {
  if (!Number.isInteger(serial) || serial < 0 || serial > MAX_SERIAL) throw new SerialOutOfRangeError(serial);
  const yearCode = modelYearCode(modelYear);
  const plant = characters(random, VIN_LETTERS, 1);
  const serialText = String(serial).padStart(6, "0");
  if (model.market === MARKET.Europe) {
    const modelCode = characters(random, VIN_CHARACTERS, 2);
    const filler = random.chance(0.5) ? "Z" : characters(random, "0123456789", 1);
    return `${model.wmi}ZZZ${modelCode}${filler}${yearCode}${plant}${serialText}`;
  }
  const position7 = characters(random, modelYear >= 2010 ? VIN_LETTERS : "0123456789", 1);
  const descriptor = `${characters(random, VIN_CHARACTERS, 3)}${position7}${characters(random, VIN_CHARACTERS, 1)}`;
  const draft = `${model.wmi}${descriptor}0${yearCode}${plant}${serialText}`;
  return `${draft.slice(0, 8)}${computeCheckDigit(draft)}${draft.slice(9)}`;
}
