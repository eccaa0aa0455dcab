/** Tiny DOM builder: enough for a page of tables, lists and bars without a framework. */
export type Child = Node | string | number | null | undefined | false;

/**
 * Creates an element with attributes and children; `class` sets the class name, strings become text.
 *
 * @example
 * h("p", { class: "empty" }, "No campaigns yet");
 */
export function h<Tag extends keyof HTMLElementTagNameMap>(
  tag: Tag,
  attributes: Record<string, string | number | boolean | undefined> | null = null,
  ...children: Child[]
): HTMLElementTagNameMap[Tag] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes ?? {})) {
    if (value === undefined || value === false) continue;
    if (name === "class") element.className = String(value);
    else element.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : String(child));
  }
  return element;
}

/** A horizontal bar whose width is `share` (0–1) of its track; CSSOM, not a style attribute, so CSP allows it. */
export function bar(share: number, className: string, label: string): HTMLSpanElement {
  const fill = h("span", { class: `bar-fill ${className}` });
  fill.style.width = `${Math.max(0, Math.min(1, share)) * 100}%`;
  return h("span", { class: "bar-track", role: "img", "aria-label": label }, fill);
}

/** A plain table with one heading per column. */
export function dataTable(headings: readonly string[], rows: readonly HTMLTableRowElement[]): HTMLTableElement {
  return h(
    "table",
    { class: "plain" },
    h("thead", null, h("tr", null, ...headings.map((label) => h("th", { scope: "col" }, label)))),
    h("tbody", null, ...rows),
  );
}
