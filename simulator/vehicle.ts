import type { ConnectivityClass } from "../contracts/update-messages.js";
import { classifyConnectivity } from "../telemetry/enrich.js";
import { NETWORK_TYPE, TELEMETRY_SCHEMA_VERSION, type NetworkType, type OtaReport, type TelemetryRecord } from "../telemetry/schema.js";
import { ECU_NAMES, type Region, type VehicleModel } from "./catalog.js";
import { bearingDeg, distanceKm, interpolate, offsetPoint, type Point } from "./geo.js";
import type { SeededRandom } from "./random.js";

/**
 * What an OTA agent (simulator/ota-agent/) may read of a simulated vehicle, and the one thing it may
 * change: `firmwareVersion` (and `ecuVersions`) once an update installs.
 */
export interface VehicleView {
  readonly vin: string;
  readonly make: string;
  readonly model: string;
  readonly modelYear: number;
  readonly trim: string;
  readonly region: string;
  readonly hardwareId: string;
  firmwareVersion: string;
  ecuVersions: Record<string, string>;
  readonly parked: boolean;
  readonly charging: boolean;
  /** Percent, 0–100. */
  readonly stateOfCharge: number;
  readonly online: boolean;
  readonly connectivity: ConnectivityClass;
  readonly signalDbm: number;
  readonly lat: number;
  readonly lon: number;
}

export const PLACE_KIND = { Home: "home", Work: "work", Shop: "shop", FastCharger: "fast-charger" } as const;
export type PlaceKind = (typeof PLACE_KIND)[keyof typeof PLACE_KIND];

export const CHARGER = { Ac: "ac", Dc: "dc" } as const;
export type Charger = (typeof CHARGER)[keyof typeof CHARGER];

export interface Place extends Point {
  kind: PlaceKind;
  charger?: Charger;
}

export interface DeadZone extends Point {
  radiusKm: number;
}

/** The map a vehicle drives in: its home region and the region's radio dead zones. */
export interface RegionWorld {
  region: Region;
  deadZones: DeadZone[];
}

const AC_CHARGE_KW = 11;
const DC_CHARGE_CAP_KW = 150;
const LOW_CHARGE_PERCENT = 25;
const HIGHWAY_LEG_KM = 8;
const THERMAL_TIME_CONSTANT_S = 1800;

const PARK_MINUTES: Readonly<Record<PlaceKind, readonly [number, number]>> = {
  home: [120, 720],
  work: [240, 540],
  shop: [20, 90],
  "fast-charger": [25, 45],
};

export interface VehicleSpec {
  vin: string;
  model: VehicleModel;
  modelYear: number;
  trim: string;
  hardwareId: string;
  firmwareVersion: string;
  world: RegionWorld;
  random: SeededRandom;
  /** Milliseconds the vehicle's clock is ahead of true time (clock-skew fault). */
  clockSkewMs?: number;
}

const round = (value: number, decimals: number): number => {
  const factor = 10 ** decimals;
  return Math.round(value * factor) / factor;
};

const clamp = (value: number, min: number, max: number): number => Math.min(max, Math.max(min, value));

/**
 * One simulated electric vehicle: it parks (charging where there is a charger), drives along a
 * waypoint route to its next destination, drains its battery with distance and speed, and loses
 * connectivity in dead zones and now and then for a while.
 *
 * @example
 * const vehicle = new SimulatedVehicle(spec, startMs);
 * vehicle.advance(startMs + 60_000);
 * const record = vehicle.toRecord(startMs + 60_000);
 */
export class SimulatedVehicle implements VehicleView {
  readonly vin: string;
  readonly make: string;
  readonly model: string;
  readonly modelYear: number;
  readonly trim: string;
  readonly region: string;
  readonly hardwareId: string;
  firmwareVersion: string;
  ecuVersions: Record<string, string>;
  readonly clockSkewMs: number;

  lat: number;
  lon: number;
  speedKph = 0;
  headingDeg: number;
  odometerKm: number;
  stateOfCharge: number;
  voltage = 0;
  temperatureC: number;
  charging = false;
  network: NetworkType = NETWORK_TYPE.Lte;
  signalDbm = -80;
  online = true;
  parked = true;
  /** Next record sequence number; monotonic for the vehicle's life. */
  seq = 0;

  private readonly spec: VehicleSpec;
  private readonly random: SeededRandom;
  private readonly places: Place[];
  private readonly chargeLimit: number;
  private place: Place;
  private parkedUntilMs: number;
  private route: Point[] = [];
  private offlineUntilMs = 0;
  private clockMs: number;

  constructor(spec: VehicleSpec, startMs: number) {
    this.spec = spec;
    this.random = spec.random;
    this.vin = spec.vin;
    this.make = spec.model.make;
    this.model = spec.model.model;
    this.modelYear = spec.modelYear;
    this.trim = spec.trim;
    this.region = spec.world.region.id;
    this.hardwareId = spec.hardwareId;
    this.firmwareVersion = spec.firmwareVersion;
    this.clockSkewMs = spec.clockSkewMs ?? 0;
    this.ecuVersions = Object.fromEntries(
      ECU_NAMES.map((ecu) => [ecu, `${this.random.integer(1, 4)}.${this.random.integer(0, 9)}.${this.random.integer(0, 20)}`]),
    );
    this.places = this.choosePlaces();
    this.place = this.places[0]!;
    this.lat = this.place.lat;
    this.lon = this.place.lon;
    this.headingDeg = round(this.random.between(0, 359), 1);
    const ageYears = Math.max(0, new Date(startMs).getUTCFullYear() - spec.modelYear) + this.random.next();
    this.odometerKm = round(ageYears * this.random.between(8_000, 20_000) + this.random.between(10, 500), 1);
    this.stateOfCharge = this.random.between(35, 95);
    this.temperatureC = spec.world.region.ambientC;
    this.chargeLimit = this.random.pick([80, 85, 90]);
    this.parkedUntilMs = startMs + this.random.between(0, 3 * 3_600_000);
    this.clockMs = startMs;
    this.updateConnectivity(startMs);
    this.updateCharging(0);
    this.updateVoltage();
  }

  get connectivity(): ConnectivityClass {
    return classifyConnectivity({ network: this.network, signalDbm: this.signalDbm, online: this.online });
  }

  /** Moves the vehicle's state forward to `nowMs` (one step; call once per interval). */
  advance(nowMs: number): void {
    const seconds = Math.max(0, (nowMs - this.clockMs) / 1000);
    this.clockMs = nowMs;
    if (this.parked && nowMs >= this.parkedUntilMs) this.departFor(this.nextDestination());
    let drivenKm = 0;
    if (!this.parked) drivenKm = this.drive(seconds, nowMs);
    this.updateCharging(seconds);
    this.drainBattery(drivenKm);
    this.updateTemperature(seconds);
    this.updateVoltage();
    this.updateConnectivity(nowMs);
  }

  /** The telemetry record of the current state, stamped with the vehicle's (possibly skewed) clock. */
  toRecord(nowMs: number, ota?: OtaReport): TelemetryRecord {
    const record: TelemetryRecord = {
      schemaVersion: TELEMETRY_SCHEMA_VERSION,
      vin: this.vin,
      ts: new Date(nowMs + this.clockSkewMs).toISOString(),
      seq: this.seq++,
      vehicle: {
        make: this.make,
        model: this.model,
        modelYear: this.modelYear,
        trim: this.trim,
        region: this.region,
        hardwareId: this.hardwareId,
      },
      position: {
        lat: round(this.lat, 6),
        lon: round(this.lon, 6),
        speedKph: round(this.speedKph, 1),
        headingDeg: round(this.headingDeg, 1) % 360,
        odometerKm: round(this.odometerKm, 1),
      },
      battery: {
        stateOfCharge: round(this.stateOfCharge, 1),
        voltage: round(this.voltage, 1),
        temperatureC: round(this.temperatureC, 1),
        charging: this.charging,
      },
      connectivity: { network: this.network, signalDbm: Math.round(this.signalDbm), online: this.online },
      firmware: { version: this.firmwareVersion, ecus: { ...this.ecuVersions } },
    };
    if (ota) record.ota = ota;
    return record;
  }

  private choosePlaces(): Place[] {
    const { region } = this.spec.world;
    const around = (origin: Point, maxKm: number): Point =>
      offsetPoint(origin, this.random.between(0, 360), maxKm * Math.sqrt(this.random.next()));
    const home = around(region, region.radiusKm * 0.8);
    const places: Place[] = [
      { kind: PLACE_KIND.Home, ...home, ...(this.random.chance(0.8) ? { charger: CHARGER.Ac } : {}) },
      { kind: PLACE_KIND.Work, ...around(region, region.radiusKm * 0.4), ...(this.random.chance(0.3) ? { charger: CHARGER.Ac } : {}) },
      { kind: PLACE_KIND.Shop, ...around(home, 8) },
      { kind: PLACE_KIND.Shop, ...around(home, 12) },
      { kind: PLACE_KIND.FastCharger, ...around(region, region.radiusKm * 0.6), charger: CHARGER.Dc },
    ];
    return places;
  }

  private nextDestination(): Place {
    if (this.stateOfCharge < LOW_CHARGE_PERCENT && this.place.kind !== PLACE_KIND.FastCharger) {
      return this.places.find((place) => place.kind === PLACE_KIND.FastCharger)!;
    }
    const [home, work, shopA, shopB] = this.places as [Place, Place, Place, Place];
    const shop = this.random.chance(0.5) ? shopA : shopB;
    if (this.place.kind === PLACE_KIND.Home) return this.random.chance(0.6) ? work : shop;
    if (this.place.kind === PLACE_KIND.Work) return this.random.chance(0.7) ? home : shop;
    return home;
  }

  private departFor(destination: Place): void {
    const from: Point = { lat: this.lat, lon: this.lon };
    const legKm = distanceKm(from, destination);
    const bends = this.random.integer(1, 3);
    const bearing = bearingDeg(from, destination);
    this.route = [];
    for (let bend = 1; bend <= bends; bend++) {
      const along = interpolate(from, destination, bend / (bends + 1));
      const sideways = this.random.gaussian(legKm * 0.08);
      this.route.push(offsetPoint(along, bearing + 90, sideways));
    }
    this.route.push(destination);
    this.place = destination;
    this.parked = false;
    this.charging = false;
  }

  /** Drives along the route for `seconds`; returns the km covered. */
  private drive(seconds: number, nowMs: number): number {
    let remainingSeconds = seconds;
    let drivenKm = 0;
    while (remainingSeconds > 0 && this.route.length > 0) {
      const next = this.route[0]!;
      const here: Point = { lat: this.lat, lon: this.lon };
      const legKm = distanceKm(here, next);
      const cruise = legKm > HIGHWAY_LEG_KM ? this.random.between(95, 125) : this.random.between(30, 60);
      this.speedKph = clamp(this.speedKph + (cruise - this.speedKph) * 0.7, 8, 160);
      const reachKm = (this.speedKph * remainingSeconds) / 3600;
      if (legKm > 1e-6) this.headingDeg = bearingDeg(here, next);
      if (reachKm >= legKm) {
        this.lat = next.lat;
        this.lon = next.lon;
        drivenKm += legKm;
        remainingSeconds -= (legKm / this.speedKph) * 3600;
        this.route.shift();
      } else {
        const point = interpolate(here, next, reachKm / legKm);
        this.lat = point.lat;
        this.lon = point.lon;
        drivenKm += reachKm;
        remainingSeconds = 0;
      }
    }
    this.odometerKm += drivenKm;
    if (this.route.length === 0) this.arrive(nowMs);
    return drivenKm;
  }

  private arrive(nowMs: number): void {
    this.parked = true;
    this.speedKph = 0;
    const [minMinutes, maxMinutes] = PARK_MINUTES[this.place.kind];
    this.parkedUntilMs = nowMs + this.random.between(minMinutes, maxMinutes) * 60_000;
  }

  private drainBattery(drivenKm: number): void {
    if (drivenKm <= 0) return;
    const { model, world } = this.spec;
    const aerodynamic = 0.75 + 0.35 * (this.speedKph / 90) ** 2;
    const cold = 1 + Math.max(0, 15 - world.region.ambientC) * 0.012;
    const usedKwh = (drivenKm * model.whPerKm * aerodynamic * cold) / 1000;
    this.stateOfCharge = clamp(this.stateOfCharge - (usedKwh / model.packKwh) * 100, 0, 100);
  }

  private updateCharging(seconds: number): void {
    const charger = this.parked ? this.place.charger : undefined;
    const limit = charger === CHARGER.Dc ? 80 : this.chargeLimit;
    this.charging = charger !== undefined && this.stateOfCharge < limit;
    if (!this.charging || seconds === 0) return;
    const { model } = this.spec;
    const peakKw = charger === CHARGER.Dc ? Math.min(model.maxDcChargeKw, DC_CHARGE_CAP_KW) : AC_CHARGE_KW;
    const taper = this.stateOfCharge > 70 ? 0.5 : 1;
    const addedPercent = ((peakKw * taper * seconds) / 3600 / model.packKwh) * 100;
    this.stateOfCharge = Math.min(limit, this.stateOfCharge + addedPercent);
  }

  private updateTemperature(seconds: number): void {
    const ambient = this.spec.world.region.ambientC;
    const load = this.parked ? 0 : 4 + this.speedKph / 25;
    const chargeHeat = this.charging ? (this.place.charger === CHARGER.Dc ? 15 : 4) : 0;
    const target = ambient + load + chargeHeat;
    this.temperatureC += (target - this.temperatureC) * (1 - Math.exp(-seconds / THERMAL_TIME_CONSTANT_S));
  }

  /** Open-circuit voltage rises with charge; charging lifts it, load sags it. */
  private updateVoltage(): void {
    const nominal = this.spec.model.nominalVoltage;
    const openCircuit = nominal * (0.86 + 0.26 * (this.stateOfCharge / 100));
    const charge = this.charging ? nominal * 0.03 : 0;
    const sag = this.parked ? 0 : nominal * 0.02 * (this.speedKph / 120);
    this.voltage = openCircuit + charge - sag;
  }

  private updateConnectivity(nowMs: number): void {
    if (nowMs >= this.offlineUntilMs && this.random.chance(0.003)) {
      this.offlineUntilMs = nowMs + this.random.between(5, 60) * 60_000;
    }
    const here: Point = { lat: this.lat, lon: this.lon };
    const inDeadZone = this.spec.world.deadZones.some((zone) => distanceKm(here, zone) < zone.radiusKm);
    if (nowMs < this.offlineUntilMs || inDeadZone) {
      this.online = false;
      this.network = NETWORK_TYPE.None;
      this.signalDbm = -140;
      return;
    }
    const fromCentreKm = distanceKm(here, this.spec.world.region);
    this.signalDbm = clamp(-72 - fromCentreKm * 0.9 + this.random.gaussian(6), -125, -50);
    this.online = true;
    if (this.signalDbm < -112) this.network = NETWORK_TYPE.ThreeG;
    else if (this.spec.model.supports5g && this.signalDbm > -90) this.network = NETWORK_TYPE.FiveG;
    else this.network = NETWORK_TYPE.Lte;
  }
}
