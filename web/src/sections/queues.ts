import { QUEUE_ROLE, type QueueRole, type QueuesDocument, type QueueView } from "../../../contracts/dashboard-documents.js";
import { h } from "../dom.js";
import { formatDuration } from "../../../lib/age-format.js";
import { formatCount } from "../format.js";

const QUEUE_LABELS: Readonly<Record<QueueRole, string>> = {
  [QUEUE_ROLE.Telemetry]: "Telemetry",
  [QUEUE_ROLE.TelemetryDeadLetter]: "Telemetry",
  [QUEUE_ROLE.Update]: "Update jobs",
  [QUEUE_ROLE.UpdateDeadLetter]: "Update jobs",
  [QUEUE_ROLE.Command]: "Commands",
  [QUEUE_ROLE.CommandDeadLetter]: "Commands",
};

/** Queues: depth, in flight, delayed and oldest age; a dead-letter queue holding messages is flagged. */
export function queuesSection(container: HTMLElement): { render(doc: QueuesDocument): void } {
  return {
    render(doc) {
      if (doc.queues.length === 0) {
        container.replaceChildren(h("p", { class: "empty" }, "No queues reported."));
        return;
      }
      container.replaceChildren(
        h(
          "div",
          { class: "table-wrap" },
          h(
            "table",
            { class: "queues" },
            h(
              "thead",
              null,
              h("tr", null, ...["Queue", "Visible", "In flight", "Delayed", "Oldest message"].map((label) => h("th", { scope: "col" }, label))),
            ),
            h("tbody", null, ...doc.queues.map(queueRow)),
          ),
        ),
      );
    },
  };
}

function queueRow(queue: QueueView): HTMLTableRowElement {
  const needsRedrive = queue.deadLetter && (queue.visible ?? 0) > 0;
  return h(
    "tr",
    { "data-queue": queue.role, class: needsRedrive || queue.error ? "row-attention" : undefined },
    h(
      "th",
      { scope: "row" },
      QUEUE_LABELS[queue.role],
      queue.deadLetter ? h("span", { class: "badge kind-dlq" }, "DLQ") : null,
      h("small", { class: "mono" }, queue.name),
      queue.error ? h("small", { class: "error-text" }, `could not read: ${queue.error}`) : null,
    ),
    h("td", { class: "num", "data-field": "visible" }, formatCount(queue.visible), needsRedrive ? h("small", null, "needs redrive") : null),
    h("td", { class: "num", "data-field": "in-flight" }, formatCount(queue.inFlight)),
    h("td", { class: "num", "data-field": "delayed" }, formatCount(queue.delayed)),
    h("td", { class: "num", "data-field": "oldest" }, formatDuration(queue.oldestAgeSeconds)),
  );
}
