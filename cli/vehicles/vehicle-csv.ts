/**
 * The CSV `fleetota vehicles register --csv` reads: a header naming `vin,make,model,hardware` and
 * optionally `csr` (a CSR file, relative to the CSV's folder) and `modelyear` (the model year, which
 * campaigns selecting model years require), one vehicle a line. Pure: a bad line is
 * refused with its line number and reason, never dropped silently, and the good ones go on.
 */
import { vehicleRecordProblems, type VehicleRecord } from "../../identity/provisioning.js";

export interface CsvVehicle extends VehicleRecord {
  /** 1-based line number in the file. */
  readonly line: number;
  readonly csrPath?: string;
}

export interface CsvRefusal {
  readonly line: number;
  readonly vin?: string;
  readonly reason: string;
}

export interface ParsedVehicleCsv {
  readonly vehicles: CsvVehicle[];
  readonly refused: CsvRefusal[];
}

export class VehicleCsvHeaderError extends Error {
  override readonly name = "VehicleCsvHeaderError";
}

const REQUIRED = ["vin", "make", "model", "hardware"] as const;

/**
 * @example
 * parseVehicleCsv("vin,make,model,hardware\n1HGCM82633A004352,Honda,Accord,tcu-2\n");
 * // { vehicles: [{ line: 2, vin: "1HGCM82633A004352", make: "Honda", model: "Accord", hardware: "tcu-2" }], refused: [] }
 */
export function parseVehicleCsv(text: string): ParsedVehicleCsv {
  const lines = text.split(/\r?\n/);
  const header = (lines[0] ?? "").split(",").map((name) => name.trim().toLowerCase());
  const missing = REQUIRED.filter((name) => !header.includes(name));
  if (missing.length) throw new VehicleCsvHeaderError(`the header must name ${REQUIRED.join(",")} (and optionally csr, modelyear); missing ${missing.join(",")}`);
  const column = (name: string) => header.indexOf(name);
  const vehicles: CsvVehicle[] = [];
  const refused: CsvRefusal[] = [];
  const seen = new Map<string, number>();
  lines.slice(1).forEach((raw, index) => {
    const line = index + 2;
    if (raw.trim() === "") return;
    const cells = raw.split(",").map((cell) => cell.trim());
    if (cells.length !== header.length) return void refused.push({ line, reason: `${cells.length} fields, the header has ${header.length}` });
    const year = column("modelyear") >= 0 ? cells[column("modelyear")] || undefined : undefined;
    const record: VehicleRecord = {
      vin: cells[column("vin")]!.toUpperCase(),
      make: cells[column("make")]!,
      model: cells[column("model")]!,
      hardware: cells[column("hardware")]!,
      ...(year === undefined ? {} : { modelYear: parseModelYear(year) }),
    };
    const problems = vehicleRecordProblems(record);
    if (problems.length) return void refused.push({ line, vin: record.vin, reason: problems.join("; ") });
    const earlier = seen.get(record.vin);
    if (earlier !== undefined) return void refused.push({ line, vin: record.vin, reason: `duplicate of line ${earlier}` });
    seen.set(record.vin, line);
    const csrPath = column("csr") >= 0 ? cells[column("csr")] || undefined : undefined;
    vehicles.push({ line, ...record, ...(csrPath ? { csrPath } : {}) });
  });
  return { vehicles, refused };
}

/** A model year as written ("2021"); anything else becomes NaN, which vehicleRecordProblems refuses by name. */
export function parseModelYear(text: string): number {
  return /^\d{4}$/.test(text.trim()) ? Number(text.trim()) : Number.NaN;
}
