/** Spherical-earth helpers for moving vehicles along routes; accurate enough for city driving. */
const EARTH_RADIUS_KM = 6371;
const RADIANS = Math.PI / 180;

export interface Point {
  lat: number;
  lon: number;
}

/**
 * Great-circle distance in km.
 *
 * @example
 * distanceKm({ lat: 48.137, lon: 11.575 }, { lat: 48.353, lon: 11.786 }); // ≈ 28.6
 */
export function distanceKm(from: Point, to: Point): number {
  const dLat = (to.lat - from.lat) * RADIANS;
  const dLon = (to.lon - from.lon) * RADIANS;
  const a = Math.sin(dLat / 2) ** 2 + Math.cos(from.lat * RADIANS) * Math.cos(to.lat * RADIANS) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(a)));
}

/**
 * Initial bearing from `from` to `to`, degrees in [0, 360).
 *
 * @example
 * bearingDeg({ lat: 0, lon: 0 }, { lat: 1, lon: 0 }); // 0 (north)
 */
export function bearingDeg(from: Point, to: Point): number {
  const y = Math.sin((to.lon - from.lon) * RADIANS) * Math.cos(to.lat * RADIANS);
  const x =
    Math.cos(from.lat * RADIANS) * Math.sin(to.lat * RADIANS) -
    Math.sin(from.lat * RADIANS) * Math.cos(to.lat * RADIANS) * Math.cos((to.lon - from.lon) * RADIANS);
  const degrees = Math.atan2(y, x) / RADIANS;
  return ((degrees % 360) + 360) % 360;
}

/**
 * The point `distance` km from `origin` heading `bearing` degrees (flat-earth offset: fine below ~100 km).
 *
 * @example
 * offsetPoint({ lat: 0, lon: 0 }, 0, 111.2); // ≈ { lat: 1, lon: 0 }
 */
export function offsetPoint(origin: Point, bearing: number, distance: number): Point {
  const dLat = (distance * Math.cos(bearing * RADIANS)) / EARTH_RADIUS_KM / RADIANS;
  const dLon = (distance * Math.sin(bearing * RADIANS)) / (EARTH_RADIUS_KM * Math.cos(origin.lat * RADIANS)) / RADIANS;
  return { lat: origin.lat + dLat, lon: origin.lon + dLon };
}

/**
 * The point a fraction of the way from `from` to `to` (linear in degrees: fine for short legs).
 *
 * @example
 * interpolate({ lat: 0, lon: 0 }, { lat: 2, lon: 2 }, 0.5); // { lat: 1, lon: 1 }
 */
export function interpolate(from: Point, to: Point, fraction: number): Point {
  return { lat: from.lat + (to.lat - from.lat) * fraction, lon: from.lon + (to.lon - from.lon) * fraction };
}
