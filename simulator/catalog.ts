/**
 * What the simulated fleet is made of: plausible electric models with their real World Manufacturer
 * Identifiers (VIN positions 1–3), battery packs, and the home regions vehicles drive around in.
 */

export const MARKET = { NorthAmerica: "north-america", Europe: "europe", China: "china" } as const;
export type Market = (typeof MARKET)[keyof typeof MARKET];

export interface VehicleModel {
  make: string;
  model: string;
  /** World Manufacturer Identifier, VIN positions 1–3. */
  wmi: string;
  market: Market;
  trims: readonly string[];
  /** Hardware generations firmware images target; a vehicle gets one of them. */
  hardwareIds: readonly string[];
  firstModelYear: number;
  packKwh: number;
  /** Nominal traction pack voltage (≈400 V or ≈800 V architectures). */
  nominalVoltage: number;
  /** Consumption at a steady 90 km/h in mild weather. */
  whPerKm: number;
  maxDcChargeKw: number;
  supports5g: boolean;
}

export const VEHICLE_MODELS: readonly VehicleModel[] = [
  { make: "Tesla", model: "Model 3", wmi: "5YJ", market: MARKET.NorthAmerica, trims: ["RWD", "Long Range", "Performance"], hardwareIds: ["TM3-HW3", "TM3-HW4"], firstModelYear: 2018, packKwh: 75, nominalVoltage: 355, whPerKm: 145, maxDcChargeKw: 250, supports5g: false },
  { make: "Tesla", model: "Model Y", wmi: "7SA", market: MARKET.NorthAmerica, trims: ["Long Range", "Performance"], hardwareIds: ["TMY-HW4"], firstModelYear: 2022, packKwh: 78, nominalVoltage: 355, whPerKm: 160, maxDcChargeKw: 250, supports5g: true },
  { make: "Ford", model: "Mustang Mach-E", wmi: "3FM", market: MARKET.NorthAmerica, trims: ["Select", "Premium", "GT"], hardwareIds: ["FMME-SYNC4"], firstModelYear: 2021, packKwh: 91, nominalVoltage: 350, whPerKm: 190, maxDcChargeKw: 150, supports5g: false },
  { make: "Ford", model: "F-150 Lightning", wmi: "1FT", market: MARKET.NorthAmerica, trims: ["Pro", "XLT", "Lariat", "Platinum"], hardwareIds: ["F150L-SYNC4"], firstModelYear: 2022, packKwh: 131, nominalVoltage: 370, whPerKm: 285, maxDcChargeKw: 155, supports5g: false },
  { make: "Chevrolet", model: "Bolt EV", wmi: "1G1", market: MARKET.NorthAmerica, trims: ["1LT", "2LT"], hardwareIds: ["GMB-VIP1"], firstModelYear: 2017, packKwh: 65, nominalVoltage: 350, whPerKm: 160, maxDcChargeKw: 55, supports5g: false },
  { make: "Rivian", model: "R1T", wmi: "7FC", market: MARKET.NorthAmerica, trims: ["Adventure", "Dual Max"], hardwareIds: ["RIV-GEN1", "RIV-GEN2"], firstModelYear: 2022, packKwh: 135, nominalVoltage: 400, whPerKm: 270, maxDcChargeKw: 220, supports5g: true },
  { make: "Nissan", model: "Leaf", wmi: "1N4", market: MARKET.NorthAmerica, trims: ["S", "SV Plus"], hardwareIds: ["NL-ZE1"], firstModelYear: 2018, packKwh: 40, nominalVoltage: 350, whPerKm: 165, maxDcChargeKw: 50, supports5g: false },
  { make: "Volkswagen", model: "ID.4", wmi: "WVG", market: MARKET.Europe, trims: ["Pure", "Pro", "GTX"], hardwareIds: ["MEB-ICAS3"], firstModelYear: 2021, packKwh: 77, nominalVoltage: 352, whPerKm: 175, maxDcChargeKw: 135, supports5g: false },
  { make: "BMW", model: "i4", wmi: "WBY", market: MARKET.Europe, trims: ["eDrive40", "M50"], hardwareIds: ["BMW-ID8"], firstModelYear: 2022, packKwh: 81, nominalVoltage: 398, whPerKm: 165, maxDcChargeKw: 205, supports5g: true },
  { make: "Porsche", model: "Taycan", wmi: "WP0", market: MARKET.Europe, trims: ["4S", "Turbo"], hardwareIds: ["J1-PPE"], firstModelYear: 2020, packKwh: 93, nominalVoltage: 723, whPerKm: 210, maxDcChargeKw: 270, supports5g: false },
  { make: "Volvo", model: "EX40", wmi: "YV1", market: MARKET.Europe, trims: ["Core", "Plus", "Ultimate"], hardwareIds: ["CMA-SPA2"], firstModelYear: 2021, packKwh: 78, nominalVoltage: 400, whPerKm: 190, maxDcChargeKw: 150, supports5g: false },
  { make: "Polestar", model: "Polestar 2", wmi: "LPS", market: MARKET.China, trims: ["Standard Range", "Long Range Dual Motor"], hardwareIds: ["PS2-SPA"], firstModelYear: 2021, packKwh: 78, nominalVoltage: 400, whPerKm: 170, maxDcChargeKw: 155, supports5g: false },
  { make: "BYD", model: "Atto 3", wmi: "LGX", market: MARKET.China, trims: ["Standard", "Extended"], hardwareIds: ["BYD-E3"], firstModelYear: 2022, packKwh: 60, nominalVoltage: 400, whPerKm: 160, maxDcChargeKw: 88, supports5g: true },
];

export interface Region {
  id: string;
  market: Market;
  /** City the region is centred on. */
  city: string;
  lat: number;
  lon: number;
  radiusKm: number;
  /** Typical ambient temperature. */
  ambientC: number;
}

export const REGIONS: readonly Region[] = [
  { id: "us-west", market: MARKET.NorthAmerica, city: "San Francisco", lat: 37.7749, lon: -122.4194, radiusKm: 40, ambientC: 16 },
  { id: "us-south", market: MARKET.NorthAmerica, city: "Austin", lat: 30.2672, lon: -97.7431, radiusKm: 35, ambientC: 24 },
  { id: "us-midwest", market: MARKET.NorthAmerica, city: "Detroit", lat: 42.3314, lon: -83.0458, radiusKm: 35, ambientC: 8 },
  { id: "eu-central", market: MARKET.Europe, city: "Munich", lat: 48.1374, lon: 11.5755, radiusKm: 30, ambientC: 10 },
  { id: "eu-north", market: MARKET.Europe, city: "Stockholm", lat: 59.3293, lon: 18.0686, radiusKm: 30, ambientC: 6 },
  { id: "cn-east", market: MARKET.China, city: "Shanghai", lat: 31.2304, lon: 121.4737, radiusKm: 40, ambientC: 17 },
];

/** ECUs whose versions a vehicle reports besides its main firmware version. */
export const ECU_NAMES = ["bms", "telematics", "adas", "infotainment"] as const;

/**
 * The regions a model is sold in.
 *
 * @example
 * regionsFor(VEHICLE_MODELS[0]!).map((region) => region.id); // ["us-west", "us-south", "us-midwest"]
 */
export function regionsFor(model: VehicleModel): Region[] {
  return REGIONS.filter((region) => region.market === model.market);
}
