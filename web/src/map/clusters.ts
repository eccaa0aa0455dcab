/**
 * Pure geometry for the fleet map: grouping the position cells into regions worth zooming to, and
 * merging the cells that land on top of each other on screen into clusters. No DOM, unit-tested.
 */
import type { PositionCell } from "../../../contracts/dashboard-documents.js";

export interface GeoBox {
  minLat: number;
  maxLat: number;
  minLon: number;
  maxLon: number;
}

export interface MapRegion {
  box: GeoBox;
  vehicles: number;
  online: number;
  cells: number;
}

export const mapDefaults = {
  /** Cells closer than this (degrees, either axis) belong to the same region. */
  regionGapDegrees: 12,
  /** A region is shown at least this wide and tall (degrees), so one city is not zoomed to a street. */
  minimumSpanDegrees: 3,
  /** Clusters whose centres are closer than this on screen (px) are drawn as one. */
  clusterRadiusPx: 18,
} as const;

/**
 * Groups cells into regions by single linkage: two cells closer than `gapDegrees` on both axes are in
 * the same region. Largest region first.
 *
 * @example
 * regionsOf([[48.1, 11.5, 10, 9], [52.5, 13.4, 5, 5], [42.3, -83.0, 7, 2]]).length; // 2 (Germany, Detroit)
 */
export function regionsOf(cells: readonly PositionCell[], gapDegrees: number = mapDefaults.regionGapDegrees): MapRegion[] {
  const parent = cells.map((_, index) => index);
  const find = (index: number): number => {
    while (parent[index] !== index) {
      parent[index] = parent[parent[index]!]!;
      index = parent[index]!;
    }
    return index;
  };
  for (let a = 0; a < cells.length; a++) {
    for (let b = a + 1; b < cells.length; b++) {
      const [latA, lonA] = cells[a]!;
      const [latB, lonB] = cells[b]!;
      if (Math.abs(latA - latB) <= gapDegrees && Math.abs(lonA - lonB) <= gapDegrees) parent[find(a)] = find(b);
    }
  }
  const regions = new Map<number, MapRegion>();
  cells.forEach(([lat, lon, vehicles, online], index) => {
    const root = find(index);
    const region = regions.get(root) ?? { box: { minLat: lat, maxLat: lat, minLon: lon, maxLon: lon }, vehicles: 0, online: 0, cells: 0 };
    region.box = {
      minLat: Math.min(region.box.minLat, lat),
      maxLat: Math.max(region.box.maxLat, lat),
      minLon: Math.min(region.box.minLon, lon),
      maxLon: Math.max(region.box.maxLon, lon),
    };
    region.vehicles += vehicles;
    region.online += online;
    region.cells += 1;
    regions.set(root, region);
  });
  return [...regions.values()].sort((a, b) => b.vehicles - a.vehicles || a.box.minLon - b.box.minLon);
}

/** The box grown to at least `minimumSpan` degrees on each axis (around its centre), plus a margin of a tenth. */
export function paddedBox(box: GeoBox, minimumSpan: number = mapDefaults.minimumSpanDegrees): GeoBox {
  const grow = (min: number, max: number, limit: number): [number, number] => {
    const span = Math.max(max - min, minimumSpan) * 1.2;
    const centre = (min + max) / 2;
    return [Math.max(-limit, centre - span / 2), Math.min(limit, centre + span / 2)];
  };
  const [minLat, maxLat] = grow(box.minLat, box.maxLat, 80);
  const [minLon, maxLon] = grow(box.minLon, box.maxLon, 180);
  return { minLat, maxLat, minLon, maxLon };
}

/** The smallest box holding every box. */
export function unionBox(boxes: readonly GeoBox[]): GeoBox | null {
  if (boxes.length === 0) return null;
  return {
    minLat: Math.min(...boxes.map((box) => box.minLat)),
    maxLat: Math.max(...boxes.map((box) => box.maxLat)),
    minLon: Math.min(...boxes.map((box) => box.minLon)),
    maxLon: Math.max(...boxes.map((box) => box.maxLon)),
  };
}

export interface ScreenPoint {
  x: number;
  y: number;
  vehicles: number;
  online: number;
}

export interface Cluster extends ScreenPoint {
  /** How many grid cells were merged into this cluster. */
  cells: number;
}

/**
 * Merges points closer than `radiusPx` on screen, largest first: each point joins the first cluster
 * (by size) within reach, at the vehicle-weighted centre. Vehicles and online counts are conserved.
 *
 * @example
 * clusterPoints([{ x: 0, y: 0, vehicles: 3, online: 3 }, { x: 5, y: 0, vehicles: 1, online: 0 }], 18);
 * // [{ x: 1.25, y: 0, vehicles: 4, online: 3, cells: 2 }]
 */
export function clusterPoints(points: readonly ScreenPoint[], radiusPx: number = mapDefaults.clusterRadiusPx): Cluster[] {
  const clusters: Cluster[] = [];
  const sorted = [...points].filter((point) => point.vehicles > 0).sort((a, b) => b.vehicles - a.vehicles);
  for (const point of sorted) {
    const near = clusters.find((cluster) => Math.hypot(cluster.x - point.x, cluster.y - point.y) < radiusPx);
    if (!near) {
      clusters.push({ ...point, cells: 1 });
      continue;
    }
    const vehicles = near.vehicles + point.vehicles;
    near.x = (near.x * near.vehicles + point.x * point.vehicles) / vehicles;
    near.y = (near.y * near.vehicles + point.y * point.vehicles) / vehicles;
    near.vehicles = vehicles;
    near.online += point.online;
    near.cells += 1;
  }
  return clusters;
}

/** Fill colour by share online: green from 80 %, amber from 50 %, red below (the caption says the same). */
export function onlineTone(online: number, vehicles: number): "good" | "warn" | "bad" {
  const share = vehicles > 0 ? online / vehicles : 0;
  if (share >= 0.8) return "good";
  if (share >= 0.5) return "warn";
  return "bad";
}

/** Circle radius in px: area grows with the vehicle count, from 4 px to 22 px for the largest. */
export function clusterRadius(vehicles: number, largest: number): number {
  return 4 + 18 * Math.sqrt(Math.max(0, vehicles) / Math.max(1, largest));
}

/** `48.1, 11.5` → `48°N 12°E`. */
export function formatLatLon(lat: number, lon: number): string {
  return `${Math.abs(Math.round(lat))}°${lat >= 0 ? "N" : "S"} ${Math.abs(Math.round(lon))}°${lon >= 0 ? "E" : "W"}`;
}
