/**
 * Accessibility checks for the browser suite: axe-core (via @axe-core/playwright) on the page as it is,
 * and a walk of the keyboard focus order.
 */
import { AxeBuilder } from "@axe-core/playwright";
import type { Page } from "playwright-core";

/** The impacts a view must not have; minor and moderate findings are reported, not failed. */
export const BLOCKING_IMPACTS: ReadonlySet<string> = new Set(["serious", "critical"]);

/**
 * The serious and critical axe violations on the page, one readable line each (empty when none).
 *
 * @example
 * assert.equal(await blockingViolations(page), []);
 */
export async function blockingViolations(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]).analyze();
  return results.violations
    .filter((violation) => BLOCKING_IMPACTS.has(violation.impact ?? ""))
    .map((violation) => `${violation.impact} ${violation.id}: ${violation.help} (${violation.nodes.map((node) => node.target.join(" ")).slice(0, 3).join(", ")})`);
}

/**
 * Presses Tab `count` times from the top of the page and returns what got focus each time: its
 * accessible text (aria-label, else text), tag and a `data-*` hint, e.g. `a:Fleet`.
 */
export async function tabOrder(page: Page, count: number): Promise<string[]> {
  // Focus a throw-away element at the very top, so the first Tab goes where a fresh page's would.
  await page.evaluate(() => {
    const start = document.createElement("span");
    start.tabIndex = -1;
    start.id = "tab-order-start";
    document.body.prepend(start);
    start.focus();
  });
  const seen: string[] = [];
  for (let index = 0; index < count; index++) {
    await page.keyboard.press("Tab");
    seen.push(
      await page.evaluate(() => {
        const element = document.activeElement as HTMLElement | null;
        if (!element || element === document.body) return "body";
        const label = element.getAttribute("aria-label") ?? element.textContent?.trim().replace(/\s+/g, " ") ?? "";
        return `${element.tagName.toLowerCase()}:${label.slice(0, 60)}`;
      }),
    );
  }
  await page.evaluate(() => document.getElementById("tab-order-start")?.remove());
  return seen;
}
