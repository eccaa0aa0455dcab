import { test } from "uvu";
import * as assert from "uvu/assert";
import type { PositionCell } from "../../../../contracts/dashboard-documents.js";
import { clusterPoints, clusterRadius, formatLatLon, onlineTone, paddedBox, regionsOf, unionBox } from "../../../../web/src/map/clusters.js";

const munich: PositionCell = [48.14, 11.58, 120, 110];
const berlin: PositionCell = [52.52, 13.4, 80, 40];
const detroit: PositionCell = [42.33, -83.05, 50, 10];

test("groups nearby cells into one region and far ones apart, largest region first", () => {
  const regions = regionsOf([detroit, munich, berlin]);

  assert.is(regions.length, 2);
  assert.equal(regions.map((region) => [region.vehicles, region.online, region.cells]), [[200, 150, 2], [50, 10, 1]]);
  assert.equal(regions[0]!.box, { minLat: 48.14, maxLat: 52.52, minLon: 11.58, maxLon: 13.4 });
});

test("links a chain of cells each close to the next into one region", () => {
  const chain: PositionCell[] = [0, 10, 20, 30].map((lon) => [10, lon, 1, 1]);

  assert.is(regionsOf(chain, 12).length, 1);
  assert.is(regionsOf(chain, 9).length, 4);
});

test("pads a single-city box to a minimum span and keeps latitude on the map", () => {
  const box = paddedBox({ minLat: 48, maxLat: 48, minLon: 11, maxLon: 11 }, 3);
  const polar = paddedBox({ minLat: 79, maxLat: 79, minLon: 0, maxLon: 0 }, 10);

  assert.ok(Math.abs(box.maxLat - box.minLat - 3.6) < 1e-9 && Math.abs(box.maxLon - box.minLon - 3.6) < 1e-9, JSON.stringify(box));
  assert.is(polar.maxLat, 80);
  assert.is(unionBox([]), null);
  assert.equal(unionBox([box, { minLat: 0, maxLat: 1, minLon: 100, maxLon: 101 }])!.maxLon, 101);
});

test("merges points within the radius, conserving vehicles and online counts", () => {
  const points = [
    { x: 0, y: 0, vehicles: 3, online: 3 },
    { x: 10, y: 0, vehicles: 1, online: 0 },
    { x: 100, y: 100, vehicles: 2, online: 1 },
    { x: 50, y: 50, vehicles: 0, online: 0 },
  ];

  const clusters = clusterPoints(points, 18);

  assert.equal(clusters, [
    { x: 2.5, y: 0, vehicles: 4, online: 3, cells: 2 },
    { x: 100, y: 100, vehicles: 2, online: 1, cells: 1 },
  ]);
});

test("colours by share online and sizes by count", () => {
  assert.is(onlineTone(80, 100), "good");
  assert.is(onlineTone(79, 100), "warn");
  assert.is(onlineTone(49, 100), "bad");
  assert.is(onlineTone(0, 0), "bad");
  assert.is(clusterRadius(100, 100), 22);
  assert.is(clusterRadius(25, 100), 13);
  assert.is(formatLatLon(-33.9, 18.4), "34°S 18°E");
  assert.is(formatLatLon(42.3, -83.05), "42°N 83°W");
});

test.run();
