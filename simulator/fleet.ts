import { REGIONS, VEHICLE_MODELS, regionsFor, type Region } from "./catalog.js";
import { offsetPoint } from "./geo.js";
import { SeededRandom } from "./random.js";
import { SimulatedVehicle, type RegionWorld } from "./vehicle.js";
import { generateVin } from "./vin-generator.js";

export interface FleetOptions {
  vehicles: number;
  seed: number;
  startMs: number;
  /** Fraction of vehicles whose clock runs `clockSkewMs` ahead (fault injection). */
  clockSkewRate?: number;
  clockSkewMs?: number;
}

export const DEFAULT_CLOCK_SKEW_MS = 24 * 3_600_000;

/** Firmware versions a hardware generation may ship with: mostly current, some one or two behind. */
const FIRMWARE_BY_AGE = ["2.4.1", "2.3.0", "2.1.7"] as const;

function buildWorld(region: Region, random: SeededRandom): RegionWorld {
  const deadZones = Array.from({ length: 3 }, () => ({
    ...offsetPoint(region, random.between(0, 360), region.radiusKm * Math.sqrt(random.next())),
    radiusKm: random.between(0.8, 2.5),
  }));
  return { region, deadZones };
}

export class Fleet {
  constructor(
    readonly vehicles: SimulatedVehicle[],
    readonly worlds: ReadonlyMap<string, RegionWorld>,
  ) {}

  /** Moves every vehicle forward to `nowMs`. */
  advance(nowMs: number): void {
    for (const vehicle of this.vehicles) vehicle.advance(nowMs);
  }
}

/**
 * Builds a reproducible fleet: the same seed and size give the same vehicles, VINs and places.
 * Vehicle i's randomness is derived from (seed, i), so vehicle 7 is the same in a fleet of 10 and of 10,000.
 *
 * @example
 * const fleet = createFleet({ vehicles: 100, seed: 42, startMs: Date.now() });
 * fleet.vehicles[0]!.vin; // e.g. "5YJ3E7EB5MF000000"
 */
export function createFleet(options: FleetOptions): Fleet {
  const worldRandom = new SeededRandom(options.seed ^ 0x5eed);
  const worlds = new Map(REGIONS.map((region) => [region.id, buildWorld(region, worldRandom)]));
  const skewRandom = new SeededRandom(options.seed ^ 0xc10c);
  const vehicles = Array.from({ length: options.vehicles }, (_, index) => {
    const random = new SeededRandom(options.seed).fork(index + 1);
    const model = random.pick(VEHICLE_MODELS);
    const latestYear = new Date(options.startMs).getUTCFullYear();
    const modelYear = random.integer(Math.min(model.firstModelYear, latestYear), latestYear);
    const region = random.pick(regionsFor(model));
    const skewed = options.clockSkewRate !== undefined && skewRandom.chance(options.clockSkewRate);
    return new SimulatedVehicle(
      {
        vin: generateVin(random, model, modelYear, index),
        model,
        modelYear,
        trim: random.pick(model.trims),
        hardwareId: random.pick(model.hardwareIds),
        firmwareVersion: random.weighted(FIRMWARE_BY_AGE, [6, 3, 1]),
        world: worlds.get(region.id)!,
        random,
        clockSkewMs: skewed ? (options.clockSkewMs ?? DEFAULT_CLOCK_SKEW_MS) : 0,
      },
      options.startMs,
    );
  });
  return new Fleet(vehicles, worlds);
}
