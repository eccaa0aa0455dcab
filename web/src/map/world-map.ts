/**
 * The fleet map: land and coastlines from Natural Earth (world-atlas, served from this origin as
 * `geo/land-50m.json`, never a tile server), vehicle clusters on top, buttons to zoom to each region
 * that has vehicles, and a tooltip with the counts (pointer and keyboard focus alike).
 */
import { geoMercator, geoPath, type GeoProjection } from "d3-geo";
import type { Feature, FeatureCollection, MultiPolygon, Polygon } from "geojson";
import { feature } from "topojson-client";
import type { GeometryCollection, Topology } from "topojson-specification";
import type { PositionCell } from "../../../contracts/dashboard-documents.js";
import { h } from "../dom.js";
import { formatCount, formatShare } from "../format.js";
import {
  clusterPoints,
  clusterRadius,
  formatLatLon,
  mapDefaults,
  onlineTone,
  paddedBox,
  regionsOf,
  unionBox,
  type GeoBox,
  type MapRegion,
} from "./clusters.js";

/** Where the build puts world-atlas's land (1:50m) next to the page. */
export const LAND_URL = "geo/land-50m.json";
const WIDTH = 640;
const HEIGHT = 360;
const SVG_NS = "http://www.w3.org/2000/svg";

type Land = Feature<Polygon | MultiPolygon> | FeatureCollection<Polygon | MultiPolygon>;
let landRequest: Promise<Land | undefined> | undefined;

/** Loads the land topology once per page; undefined (and a caption saying so) when it cannot be read. */
function loadLand(): Promise<Land | undefined> {
  landRequest ??= fetch(new URL(LAND_URL, document.baseURI))
    .then(async (response) => {
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const topology = (await response.json()) as Topology<{ land: GeometryCollection }>;
      return feature(topology, topology.objects.land) as Land;
    })
    .catch(() => undefined);
  return landRequest;
}

function svg<Tag extends keyof SVGElementTagNameMap>(tag: Tag, attributes: Record<string, string | number> = {}): SVGElementTagNameMap[Tag] {
  const element = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  return element;
}

function projectionFor(box: GeoBox): GeoProjection {
  const outline = {
    type: "MultiPoint" as const,
    coordinates: [
      [box.minLon, box.minLat],
      [box.maxLon, box.maxLat],
      [box.minLon, box.maxLat],
      [box.maxLon, box.minLat],
    ],
  };
  return geoMercator()
    .fitExtent([[8, 8], [WIDTH - 8, HEIGHT - 8]], outline)
    .clipExtent([[0, 0], [WIDTH, HEIGHT]]);
}

const WORLD: GeoBox = { minLat: -60, maxLat: 75, minLon: -180, maxLon: 180 };

/**
 * @example
 * const map = worldMap(container); map.update(doc.positions.cells);
 */
export function worldMap(container: HTMLElement): { update(cells: readonly PositionCell[]): void } {
  const landPath = svg("path", { class: "land" });
  const clusterLayer = svg("g", { class: "clusters" });
  const canvas = svg("svg", { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, class: "map-svg", role: "group", "aria-label": "Vehicle positions" });
  canvas.append(svg("rect", { class: "sea", x: 0, y: 0, width: WIDTH, height: HEIGHT }), landPath, clusterLayer);
  const tooltip = h("div", { class: "map-tooltip", role: "tooltip", id: "map-tooltip", hidden: true });
  const zoom = h("div", { class: "map-zoom", role: "toolbar", "aria-label": "Zoom the map to" });
  const caption = h("p", { class: "caption map-caption" });
  container.replaceChildren(zoom, h("div", { class: "map-frame" }, canvas, tooltip), caption);

  let cells: readonly PositionCell[] = [];
  let regions: MapRegion[] = [];
  /** -1: every region; otherwise the index of the region zoomed to. */
  let selected = -1;
  let land: Land | undefined;
  let landMissing = false;

  void loadLand().then((loaded) => {
    land = loaded;
    landMissing = loaded === undefined;
    draw();
  });

  function boxInView(): GeoBox {
    const region = regions[selected];
    if (region) return paddedBox(region.box);
    const all = unionBox(regions.map((entry) => entry.box));
    return all ? paddedBox(all) : WORLD;
  }

  function showTooltip(target: SVGElement, text: string): void {
    tooltip.textContent = text;
    tooltip.hidden = false;
    const frame = canvas.getBoundingClientRect();
    const spot = target.getBoundingClientRect();
    tooltip.style.left = `${spot.left - frame.left + spot.width / 2}px`;
    tooltip.style.top = `${spot.top - frame.top}px`;
  }

  function draw(): void {
    const projection = projectionFor(boxInView());
    const path = geoPath(projection);
    landPath.setAttribute("d", land ? (path(land) ?? "") : "");
    const points = cells.flatMap(([lat, lon, vehicles, online]) => {
      const xy = projection([lon, lat]);
      return xy && xy[0] >= 0 && xy[0] <= WIDTH && xy[1] >= 0 && xy[1] <= HEIGHT ? [{ x: xy[0], y: xy[1], vehicles, online }] : [];
    });
    const clusters = clusterPoints(points, mapDefaults.clusterRadiusPx);
    const largest = Math.max(1, ...clusters.map((cluster) => cluster.vehicles));
    clusterLayer.replaceChildren(
      ...clusters
        // Small clusters on top of large ones, so every one can be pointed at.
        .sort((a, b) => b.vehicles - a.vehicles)
        .map((cluster) => {
          const text = `${formatCount(cluster.vehicles)} ${cluster.vehicles === 1 ? "vehicle" : "vehicles"}, ${formatCount(cluster.online)} online (${formatShare(cluster.online, cluster.vehicles)})`;
          const circle = svg("circle", {
            cx: Math.round(cluster.x * 10) / 10,
            cy: Math.round(cluster.y * 10) / 10,
            r: Math.round(clusterRadius(cluster.vehicles, largest) * 10) / 10,
            class: `cluster tone-${onlineTone(cluster.online, cluster.vehicles)}`,
            tabindex: 0,
            role: "img",
            "aria-label": text,
            "aria-describedby": "map-tooltip",
            "data-vehicles": cluster.vehicles,
            "data-online": cluster.online,
          });
          const show = () => showTooltip(circle, text);
          const hide = () => (tooltip.hidden = true);
          circle.addEventListener("pointerenter", show);
          circle.addEventListener("focus", show);
          circle.addEventListener("pointerleave", hide);
          circle.addEventListener("blur", hide);
          return circle;
        }),
    );
    const shown = clusters.reduce((sum, cluster) => sum + cluster.vehicles, 0);
    const total = cells.reduce((sum, cell) => sum + cell[2], 0);
    caption.textContent = cells.length
      ? `${formatCount(shown)} of ${formatCount(total)} located vehicles in view, ${formatCount(clusters.length)} ${clusters.length === 1 ? "cluster" : "clusters"}; ` +
        "size by vehicles, colour by share online (green ≥ 80 %, amber ≥ 50 %, red below)." +
        (landMissing ? " Coastlines could not be loaded." : "")
      : "No positions reported yet.";
  }

  function drawZoomButtons(): void {
    const button = (index: number, label: string) => {
      const element = h("button", { type: "button", class: "zoom-button", "aria-pressed": String(selected === index), "data-region": index }, label);
      element.addEventListener("click", () => {
        selected = index;
        drawZoomButtons();
        draw();
      });
      return element;
    };
    zoom.replaceChildren(
      ...(regions.length > 1 ? [button(-1, "All vehicles")] : []),
      ...regions.slice(0, 6).map((region, index) => {
        const centreLat = (region.box.minLat + region.box.maxLat) / 2;
        const centreLon = (region.box.minLon + region.box.maxLon) / 2;
        return button(index, `${formatLatLon(centreLat, centreLon)} · ${formatCount(region.vehicles)}`);
      }),
    );
  }

  return {
    update(next) {
      cells = next;
      regions = regionsOf(cells);
      if (selected >= regions.length) selected = -1;
      drawZoomButtons();
      draw();
    },
  };
}
