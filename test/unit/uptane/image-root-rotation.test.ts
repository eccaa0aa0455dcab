/**
 * `keys rotate-image-root`, pure: image root n+1 built and signed from the published chain, taken by a
 * vehicle (renewed expiry, replaced release or root keys), and every attack a holder of fewer keys tries
 * refused before anything is published. The vehicle's own verification (verifyJobBundle) is the judge.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import type { Metadata, Root, Targets } from "@tufjs/models";
import { planImageRootRotation, refreshAllowedByRoot, verifyRootRotation, type ImageRootRotationInput } from "../../../uptane/image-root-rotation.js";
import { generateOfflineKey, publicPart, tufKey } from "../../../uptane/keys.js";
import { buildRoot, REFRESH_TARGETS_FIELD, ROLE, ThresholdError, tufDate } from "../../../uptane/metadata.js";
import { REFUSAL, verifyJobBundle } from "../../../uptane/vehicle-verification.js";
import { bundle, DAY, director, directorRootKeys, imageRoot, imageRootKeys, imageTargets, NOW, releaseKeys, signAll, trust, vehicle } from "./support/repositories.js";

const [alice, bob, carol] = releaseKeys as [(typeof releaseKeys)[0], (typeof releaseKeys)[0], (typeof releaseKeys)[0]];
const [ir1, ir2] = imageRootKeys as [(typeof imageRootKeys)[0], (typeof imageRootKeys)[0]];
const dave = generateOfflineKey("dave");
const ir3 = generateOfflineKey("image-root-3");
const ir4 = generateOfflineKey("image-root-4");
const now = new Date(NOW);

/** Root 1 (both root keys, alice/bob/carol 2 of 3) and targets 1 signed by alice and bob. */
const published = (targets: Metadata<Targets> | undefined = imageTargets()) => ({ imageRoots: [imageRoot()], ...(targets ? { imageTargets: targets } : {}) });
const input = (overrides: Partial<ImageRootRotationInput> = {}): ImageRootRotationInput => ({ rootKeys: [ir1, ir2], rootLifetimeDays: 365, now, ...overrides });

/** Director root 2, renewed a year on (the director's own rotation), so that a vehicle a year on still takes director documents. */
const renewedDirectorRoot = signAll(
  buildRoot({ version: 2, expires: new Date(NOW + 800 * DAY), rootKeys: directorRootKeys.map(tufKey), rootThreshold: 2, targetsKeys: [director.key], targetsThreshold: 1 }),
  directorRootKeys,
).toJSON();

/** What a vehicle provisioned with root 1 makes of a job document carrying these image roots and targets. */
function vehicleVerdict(imageRoots: Array<Metadata<Root>>, image: Parameters<typeof imageTargets>[0] = {}, at = now) {
  const extra = { imageRoots: imageRoots.map((root) => root.toJSON()), directorRoots: [renewedDirectorRoot] };
  return verifyJobBundle(bundle({ director: { expires: at.getTime() + 3 * DAY }, image, extra }), trust(), vehicle({ now: at }));
}

test("renewal keeping every key: root 2, same keys and thresholds, later expiry; a vehicle takes it", () => {
  const { root, targetsToRefresh } = planImageRootRotation(published(), input({ rootLifetimeDays: 400 }));
  const verdict = vehicleVerdict([root]);

  assert.is(root.signed.version, 2);
  assert.ok(Date.parse(root.signed.expires) > Date.parse(imageRoot().signed.expires));
  assert.is(root.signed.expires, tufDate(new Date(NOW + 400 * DAY)));
  assert.equal(root.signed.roles[ROLE.Root]!.keyIDs, [ir1.keyid, ir2.keyid]);
  assert.equal([root.signed.roles[ROLE.Targets]!.keyIDs, root.signed.roles[ROLE.Targets]!.threshold], [releaseKeys.map((key) => key.keyid), 2]);
  assert.is(targetsToRefresh, undefined);
  assert.is(root.signed.unrecognizedFields[REFRESH_TARGETS_FIELD], undefined);
  assert.ok(verdict.ok, !verdict.ok ? verdict.refusal.message : "");
  if (verdict.ok) assert.is((verdict.trust.imageRoot as { signed: { version: number } }).signed.version, 2);
});

test("an image root that has already expired is renewed the same way, and a vehicle recovers with it", () => {
  const later = new Date(NOW + 400 * DAY);
  const stuck = vehicleVerdict([], {}, later);
  const { root } = planImageRootRotation(published(), input({ now: later }));
  const recovered = vehicleVerdict([root], { expires: later.getTime() + 30 * DAY }, later);

  assert.is(!stuck.ok && stuck.refusal.kind, REFUSAL.Expired);
  assert.ok(recovered.ok, !recovered.ok ? recovered.refusal.message : "");
});

test("a release key replaced (carol → dave) under which the published targets still verify needs no refresh", () => {
  const { root, targetsToRefresh } = planImageRootRotation(published(), input({ releaseKeys: [alice, bob, dave].map(publicPart) }));

  assert.is(targetsToRefresh, undefined);
  assert.ok(vehicleVerdict([root]).ok, "targets signed by alice and bob still verify");
  assert.ok(vehicleVerdict([root], { signers: [alice, dave] }).ok, "dave now signs");
  assert.is((() => { const verdict = vehicleVerdict([root], { signers: [alice, carol] }); return !verdict.ok && verdict.refusal.kind; })(), REFUSAL.BelowThreshold);
});

test("a release key replaced (bob → dave) under which the published targets stop verifying is refused, naming the way out", () => {
  assert.throws(() => planImageRootRotation(published(), input({ releaseKeys: [alice, carol, dave].map(publicPart) })), /targets 1 would no longer verify under image root 2 .*--refresh-targets-next.*fleetota release refresh/);
});

test("with --refresh-targets-next the root names exactly the published targets; the same targets re-signed by alice and dave (version 2) install on a vehicle", () => {
  const targets = imageTargets();
  const { root, targetsToRefresh } = planImageRootRotation(published(targets), input({ releaseKeys: [alice, carol, dave].map(publicPart), refreshTargetsNext: true }));
  const chain = [imageRoot().toJSON(), root.toJSON()];
  const otherTargets = imageTargets({ custom: { version: "6.6.6" } });

  assert.equal(targetsToRefresh && targetsToRefresh.version, 1);
  assert.ok(refreshAllowedByRoot(chain, targets, now), "the published targets may be re-signed");
  assert.not.ok(refreshAllowedByRoot(chain, otherTargets, now), "other targets signed by the old keys may not");
  assert.not.ok(refreshAllowedByRoot([imageRoot().toJSON()], targets, now), "nor anything under a root that names none");
  assert.is((() => { const verdict = vehicleVerdict([root]); return !verdict.ok && verdict.refusal.kind; })(), REFUSAL.BelowThreshold, "until the refresh, vehicles refuse the old targets");
  const verdict = vehicleVerdict([root], { version: 2, signers: [alice, dave] });
  assert.ok(verdict.ok, !verdict.ok ? verdict.refusal.message : "");
});

test("a root key replaced (image-root-2 → image-root-3): signed by 2 old and 2 new keys, a vehicle takes it; the next rotation needs the new keys", () => {
  const { root } = planImageRootRotation(published(), input({ newRootKeys: [ir1, ir3] }));
  const chain = [imageRoot(), root];

  assert.equal(root.signed.roles[ROLE.Root]!.keyIDs, [ir1.keyid, ir3.keyid]);
  assert.ok(vehicleVerdict([root]).ok);
  assert.throws(() => planImageRootRotation({ imageRoots: chain }, input({ rootKeys: [ir1, ir2] })), /key image-root-2 \(.{8}\) is not an image-root key of image root 2/);
  const third = planImageRootRotation({ imageRoots: chain }, input({ rootKeys: [ir1, ir3] })).root;
  assert.ok(vehicleVerdict([root, third]).ok);
});

// Attacks: each refused before anything is built for publishing.

test("one old root key only (below the threshold of 2): refused", () => {
  assert.throws(() => planImageRootRotation(published(), input({ rootKeys: [ir1] })), /rotating needs 2 of the image-root keys of image root 1; 1 given/);
  assert.throws(() => planImageRootRotation(published(), input({ rootKeys: [ir1, ir1] })), /rotating needs 2 of the image-root keys of image root 1; 1 given/);
});

test("signed by new root keys only: refused (not keys of the current root, or none of them given)", () => {
  assert.throws(() => planImageRootRotation(published(), input({ rootKeys: [ir3, ir4], newRootKeys: [ir3, ir4] })), /key image-root-3 \(.{8}\) is not an image-root key of image root 1/);
  assert.throws(() => planImageRootRotation(published(), input({ rootKeys: [], newRootKeys: [ir3, ir4] })), /rotating needs 2 of the image-root keys of image root 1; 0 given/);
});

test("a key file that is not an image-root key (a release key, a stranger's): refused", () => {
  assert.throws(() => planImageRootRotation(published(), input({ rootKeys: [ir1, alice] })), /key alice \(.{8}\) is not an image-root key of image root 1/);
  assert.throws(() => planImageRootRotation(published(), input({ rootKeys: [ir1, generateOfflineKey("mallory")] })), /key mallory .* is not an image-root key/);
});

test("new root keys must sign (private part), and a threshold of the new root's keys must: refused otherwise", () => {
  const threeKeys = { imageRoots: [imageRoot(1, [ir1, ir2, ir3])] };

  assert.throws(() => planImageRootRotation(published(), input({ newRootKeys: [ir1, publicPart(ir3) as typeof ir3] })), /key image-root-3 .* has no private part/);
  assert.throws(() => planImageRootRotation(threeKeys, input({ rootKeys: [ir1, ir2], rootThreshold: 3 })), /image root 2 needs 3 signatures by its own root keys; 2 given/);
  assert.is(planImageRootRotation(threeKeys, input({ rootKeys: [ir1, ir2, ir3], rootThreshold: 3 })).root.signed.roles[ROLE.Root]!.threshold, 3);
});

test("a threshold above the keys, a lifetime of 0 or less, nothing published: refused", () => {
  assert.throws(() => planImageRootRotation(published(), input({ rootThreshold: 3 })), (error: Error) => error instanceof ThresholdError && /root threshold 3 must be between 1 and the 2 key/.test(error.message));
  assert.throws(() => planImageRootRotation(published(), input({ releaseKeys: [alice, bob].map(publicPart), releaseThreshold: 3 })), (error: Error) => error instanceof ThresholdError);
  assert.throws(() => planImageRootRotation(published(), input({ rootLifetimeDays: 0 })), /lifetime must be a positive number of days/);
  assert.throws(() => planImageRootRotation(published(), input({ rootLifetimeDays: -5 })), /lifetime must be a positive number of days/);
  assert.throws(() => planImageRootRotation({ imageRoots: [] }, input()), /no image root is published; run the key ceremony first/);
});

test("a root whose version does not go up by one is refused by the check run before publishing (a vehicle would skip it)", () => {
  const chain = [imageRoot().toJSON()];
  const same = imageRoot(1, imageRootKeys, [alice, bob, dave]);
  const skipping = imageRoot(3);

  assert.equal(verifyRootRotation(chain, same, now), { kind: REFUSAL.RootRotation, message: "root 1 does not follow root 1 (versions go up by one)" });
  assert.is(verifyRootRotation(chain, skipping, now)?.kind, REFUSAL.RootRotation);
  assert.is(verifyRootRotation(chain, imageRoot(2), now), undefined);
  assert.is(verifyRootRotation(chain, imageRoot(2, imageRootKeys, releaseKeys, [ir1]), now)?.kind, REFUSAL.RootRotation, "one root key's signature");
});

test.run();
