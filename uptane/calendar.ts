import type { Metadata, Root, Targets } from "@tufjs/models";

/**
 * The repositories' expiry calendar: when the published image targets and the two newest roots expire,
 * how many days are left, and what an operator does before then. Vehicles refuse expired metadata, and
 * the update manager refuses expired image targets, so each date is an outage unless acted on.
 */

/** Fewer days left than this, and the entry is a warning. */
export const EXPIRY_WARNING_DAYS = 7;
const DAY_MS = 86_400_000;

export const EXPIRING = { ImageTargets: "image targets", ImageRoot: "image root", DirectorRoot: "director root" } as const;
export type Expiring = (typeof EXPIRING)[keyof typeof EXPIRING];

export interface ExpiryEntry extends PublishedExpiry {
  /** Whole days left, rounded down; negative once expired (-1: expired less than a day ago). */
  daysLeft: number;
  expired: boolean;
  /** Fewer than EXPIRY_WARNING_DAYS left, or expired. */
  warning: boolean;
  /** What renews it. */
  remedy: string;
}

const REMEDY: Record<Expiring, string> = {
  [EXPIRING.ImageTargets]: "fleetota release refresh --key <release key> (a threshold of release engineers)",
  [EXPIRING.ImageRoot]: "fleetota keys rotate-image-root --image-root-key <file> … (a threshold of the image-root keys; keeps every key)",
  [EXPIRING.DirectorRoot]: "fleetota keys rotate-director --kms-key <arn> --director-root-key … (the same KMS key may stay)",
};

/**
 * The calendar of what is published, soonest first; image targets only when a release is published.
 *
 * @example
 * const calendar = expiryCalendar({ imageTargets, imageRoots, directorRoots }, new Date());
 * calendar[0]; // { what: "image targets", version: 4, expires: "2027-01-01T00:00:00Z", daysLeft: 29, expired: false, warning: false, remedy: "fleetota release refresh …" }
 */
export function expiryCalendar(
  published: { imageTargets?: Metadata<Targets> | undefined; imageRoots: ReadonlyArray<Metadata<Root>>; directorRoots: ReadonlyArray<Metadata<Root>> },
  now: Date,
): ExpiryEntry[] {
  const entries: ExpiryEntry[] = [];
  const add = (what: Expiring, metadata: Metadata<Root | Targets> | undefined) => {
    if (metadata) entries.push(expiryEntry({ what, version: metadata.signed.version, expires: metadata.signed.expires }, now));
  };
  add(EXPIRING.ImageTargets, published.imageTargets);
  add(EXPIRING.ImageRoot, published.imageRoots[published.imageRoots.length - 1]);
  add(EXPIRING.DirectorRoot, published.directorRoots[published.directorRoots.length - 1]);
  return entries.sort((a, b) => a.daysLeft - b.daysLeft);
}

/** What is known of one published file: enough to place it on the calendar. */
export interface PublishedExpiry {
  what: Expiring;
  version: number;
  expires: string;
}

/**
 * One entry of the calendar: days left on `published` at `now` (an unreadable date counts as expired:
 * a vehicle refuses it too), whether it is a warning, and its remedy.
 *
 * @example
 * expiryEntry({ what: EXPIRING.DirectorRoot, version: 2, expires: "2027-01-01T00:00:00Z" }, now).daysLeft; // 29
 */
export function expiryEntry(published: PublishedExpiry, now: Date): ExpiryEntry {
  const { what, version, expires } = published;
  const left = Date.parse(expires) - now.getTime();
  const daysLeft = Number.isFinite(left) ? Math.floor(left / DAY_MS) : Number.NEGATIVE_INFINITY;
  const expired = !(left > 0);
  return { what, version, expires, daysLeft, expired, warning: expired || daysLeft < EXPIRY_WARNING_DAYS, remedy: REMEDY[what] };
}

/**
 * One line of the calendar for a terminal or a page.
 *
 * @example
 * describeExpiry(entry); // "image targets 4 expire 2027-01-01T00:00:00Z: 29 days left"
 */
export function describeExpiry(entry: ExpiryEntry): string {
  const verb = entry.what === EXPIRING.ImageTargets ? "expire" : "expires";
  if (entry.expired) return `${entry.what} ${entry.version} EXPIRED at ${entry.expires}; renew: ${entry.remedy}`;
  const left = `${entry.daysLeft} day${entry.daysLeft === 1 ? "" : "s"} left`;
  return `${entry.what} ${entry.version} ${verb} ${entry.expires}: ${left}${entry.warning ? `; renew now: ${entry.remedy}` : ""}`;
}
