import type { CountByLabel, FleetDocument } from "../../../contracts/dashboard-documents.js";
import { bar, h } from "../dom.js";
import { formatAge } from "../../../lib/age-format.js";
import { formatCount, formatShare } from "../format.js";
import { worldMap } from "../map/world-map.js";

/**
 * Fleet overview: headline counts, firmware and battery distributions, the position grid and the
 * vehicles worth a look.
 */
export function fleetSection(container: HTMLElement): { render(doc: FleetDocument, nowMs: number): void } {
  const tiles = h("dl", { class: "tiles", "data-testid": "fleet-totals" });
  const firmware = h("ul", { class: "bars", "aria-label": "Vehicles by firmware version" });
  const battery = h("ul", { class: "bars", "aria-label": "Vehicles by battery charge" });
  const mapBox = h("div", { class: "map" });
  const attention = h("div", { class: "table-wrap" });
  container.replaceChildren(
    tiles,
    h(
      "div",
      { class: "fleet-grid" },
      h(
        "div",
        { class: "stack" },
        h("figure", { class: "card" }, h("figcaption", null, "Firmware versions"), firmware),
        h("figure", { class: "card" }, h("figcaption", null, "Battery charge"), battery),
      ),
      h("figure", { class: "card map-card" }, h("figcaption", null, "Positions"), mapBox),
    ),
    h("details", { class: "card attention" }, h("summary", null, "Vehicles needing attention"), attention),
  );
  const map = worldMap(mapBox);

  return {
    render(doc, nowMs) {
      const { totals } = doc;
      tiles.replaceChildren(
        tile("Vehicles", formatCount(totals.vehicles), "total", doc.snapshotAt ? `fleet state ${formatAge(doc.snapshotAt, nowMs)}` : undefined),
        tile("Online", formatCount(totals.online), "good", formatShare(totals.online, totals.vehicles)),
        tile("Offline", formatCount(totals.offline), totals.offline > 0 ? "bad" : "neutral", `${formatCount(totals.silent)} silent`),
        tile("Weak signal", formatCount(totals.weakSignal), totals.weakSignal > 0 ? "warn" : "neutral", formatShare(totals.weakSignal, totals.vehicles)),
        tile("Parked", formatCount(totals.parked), "neutral", formatShare(totals.parked, totals.vehicles)),
      );
      firmware.replaceChildren(...distribution(doc.firmware, totals.vehicles, "bar-firmware"));
      battery.replaceChildren(...distribution(doc.battery, totals.vehicles, "bar-battery"));

      map.update(doc.positions.cells);

      attention.replaceChildren(
        doc.attention.length === 0
          ? h("p", { class: "empty" }, "Every vehicle is online with enough charge.")
          : h(
              "table",
              null,
              h("thead", null, h("tr", null, ...["VIN", "Why", "Firmware", "Battery", "Last seen"].map((label) => h("th", { scope: "col" }, label)))),
              h(
                "tbody",
                null,
                ...doc.attention.map((vehicle) =>
                  h(
                    "tr",
                    null,
                    h("td", { class: "mono" }, vehicle.vin),
                    h("td", null, vehicle.reason),
                    h("td", null, vehicle.firmwareVersion),
                    h("td", { class: "num" }, vehicle.stateOfCharge === null ? "—" : `${Math.round(vehicle.stateOfCharge)} %`),
                    h("td", null, formatAge(vehicle.lastSeenAt, nowMs)),
                  ),
                ),
              ),
            ),
      );
    },
  };
}

function tile(label: string, value: string, tone: string, detail?: string): HTMLElement {
  return h(
    "div",
    { class: `tile tone-${tone}`, "data-tile": label },
    h("dt", null, label),
    h("dd", { class: "tile-value" }, value),
    detail ? h("dd", { class: "tile-detail" }, detail) : null,
  );
}

function distribution(counts: readonly CountByLabel[], whole: number, barClass: string): HTMLLIElement[] {
  if (counts.length === 0) return [h("li", { class: "empty" }, "No vehicles yet")];
  const largest = Math.max(1, ...counts.map((count) => count.vehicles));
  return counts.map((count) =>
    h(
      "li",
      { "data-label": count.label },
      h("span", { class: "bar-label" }, count.label),
      bar(count.vehicles / largest, barClass, `${count.label}: ${formatCount(count.vehicles)} vehicles`),
      h("span", { class: "bar-value" }, `${formatCount(count.vehicles)}`, h("small", null, ` ${formatShare(count.vehicles, whole)}`)),
    ),
  );
}
