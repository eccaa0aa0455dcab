import { DASHBOARD_SCHEMA_VERSION, type DashboardDocumentKey, type DocumentFor } from "../../contracts/dashboard-documents.js";

/** What the page knows about one document: never loaded, loaded, absent (404) or failing. */
export const DOCUMENT_STATUS = { Loading: "loading", Ready: "ready", Missing: "missing", Failed: "failed" } as const;
export type DocumentStatus = (typeof DOCUMENT_STATUS)[keyof typeof DOCUMENT_STATUS];

export interface DocumentState<Name extends DashboardDocumentKey> {
  status: DocumentStatus;
  /** The last good document; kept when a later poll fails, so the page shows it ageing. */
  data: DocumentFor<Name> | undefined;
  error: string | undefined;
}

/** The server answered, but not with a dashboard document this page understands. */
export class UnexpectedDocumentError extends Error {
  override readonly name = "UnexpectedDocumentError";
}

export type FetchOutcome<Name extends DashboardDocumentKey> =
  | { kind: "ready"; data: DocumentFor<Name> }
  | { kind: "missing" }
  | { kind: "failed"; error: string };

/**
 * Fetches `data/<name>` relative to the page, uncached, with a timeout.
 *
 * @example
 * const outcome = await fetchDocument("fleet.json", new URL("data/", document.baseURI));
 */
export async function fetchDocument<Name extends DashboardDocumentKey>(
  name: Name,
  dataUrl: URL,
  timeoutMs = 4000,
): Promise<FetchOutcome<Name>> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    const response = await fetch(new URL(name, dataUrl), { cache: "no-store", signal: controller.signal });
    // S3 behind CloudFront answers 403 for a missing key when listing is not allowed.
    if (response.status === 404 || response.status === 403) return { kind: "missing" };
    if (!response.ok) return { kind: "failed", error: `HTTP ${response.status}` };
    const data = checkDocument<Name>(name, await response.json());
    return { kind: "ready", data };
  } catch (error) {
    const message = controller.signal.aborted ? `no answer within ${timeoutMs / 1000} s` : error instanceof Error ? error.message : String(error);
    return { kind: "failed", error: message };
  } finally {
    clearTimeout(timer);
  }
}

/** Accepts only documents of the schema version this page was built for. */
export function checkDocument<Name extends DashboardDocumentKey>(name: Name, value: unknown): DocumentFor<Name> {
  if (typeof value !== "object" || value === null) throw new UnexpectedDocumentError(`${name} is not a JSON object`);
  const header = value as { schemaVersion?: unknown; generatedAt?: unknown };
  if (header.schemaVersion !== DASHBOARD_SCHEMA_VERSION) {
    throw new UnexpectedDocumentError(`${name} has schema version ${String(header.schemaVersion)}, this page reads ${DASHBOARD_SCHEMA_VERSION}`);
  }
  if (typeof header.generatedAt !== "string") throw new UnexpectedDocumentError(`${name} has no generatedAt`);
  return value as DocumentFor<Name>;
}

/** The next state from the previous one and a fetch outcome: failures keep the last good data. */
export function nextState<Name extends DashboardDocumentKey>(
  previous: DocumentState<Name>,
  outcome: FetchOutcome<Name>,
): DocumentState<Name> {
  switch (outcome.kind) {
    case "ready":
      return { status: DOCUMENT_STATUS.Ready, data: outcome.data, error: undefined };
    case "missing":
      return { status: DOCUMENT_STATUS.Missing, data: undefined, error: undefined };
    case "failed":
      return { status: DOCUMENT_STATUS.Failed, data: previous.data, error: outcome.error };
  }
}
