/**
 * `keys rotate-director`, pure (planDirectorRotation): director root n+1 naming the new director key, signed by a
 * threshold of the current director-root keys, taken by a vehicle; and every key file that is not a director-root
 * key of the current root refused by name, even beside enough real ones (it used to be skipped in silence).
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { CeremonyError, planDirectorRotation, type DirectorRotationInput } from "../../../uptane/ceremony.js";
import { generateOfflineKey, publicPart } from "../../../uptane/keys.js";
import { ROLE, tufDate } from "../../../uptane/metadata.js";
import { verifyRootChain } from "../../../uptane/vehicle-verification.js";
import { DAY, NOW, directorKey, directorRoot, directorRootKeys, imageRootKeys, releaseKeys } from "./support/repositories.js";

const [dr1, dr2] = directorRootKeys as [(typeof directorRootKeys)[0], (typeof directorRootKeys)[0]];
const [alice] = releaseKeys as [(typeof releaseKeys)[0]];
const [ir1] = imageRootKeys as [(typeof imageRootKeys)[0]];
const now = new Date(NOW);
const next = directorKey();
const input = (overrides: Partial<DirectorRotationInput> = {}): DirectorRotationInput => ({ rootKeys: [dr1, dr2], rootLifetimeDays: 365, now, ...overrides });

function refusedWith(run: () => unknown, pattern: RegExp): void {
  try {
    run();
  } catch (error) {
    assert.instance(error, CeremonyError);
    assert.match((error as Error).message, pattern);
    return;
  }
  assert.unreachable(`expected a refusal matching ${String(pattern)}`);
}

test("director root 2 names the new key alone, keeps the root keys, and a vehicle on root 1 takes it", () => {
  const current = directorRoot();
  const root = planDirectorRotation(current, next.key, input({ rootLifetimeDays: 400 }));

  assert.is(root.signed.version, 2);
  assert.is(root.signed.expires, tufDate(new Date(NOW + 400 * DAY)));
  assert.equal(root.signed.roles[ROLE.Targets]!.keyIDs, [next.key.keyID]);
  assert.equal(root.signed.roles[ROLE.Root]!.keyIDs, current.signed.roles[ROLE.Root]!.keyIDs);
  assert.equal(Object.keys(root.signatures).sort(), [dr1.keyid, dr2.keyid].sort());
  assert.is(verifyRootChain([current.toJSON(), root.toJSON()], now), undefined);
});

test("a key file that is not a director-root key is refused by name, even beside a threshold of real ones", () => {
  const stranger = generateOfflineKey("mallory");
  for (const [intruder, name] of [
    [alice, "alice"],
    [ir1, "image-root-1"],
    [stranger, "mallory"],
  ] as const) {
    const pattern = new RegExp(`^key ${name} \\(${intruder.keyid.slice(0, 8)}\\) is not a director-root key of director root 1$`);
    refusedWith(() => planDirectorRotation(directorRoot(), next.key, input({ rootKeys: [dr1, dr2, intruder] })), pattern);
    refusedWith(() => planDirectorRotation(directorRoot(), next.key, input({ rootKeys: [dr1, intruder] })), pattern);
  }
});

test("after a rotation, a key file the current root (2) does not name is refused against root 2", () => {
  const retired = generateOfflineKey("director-root-0");
  const root2 = planDirectorRotation(directorRoot(), next.key, input());
  refusedWith(() => planDirectorRotation(root2, next.key, input({ rootKeys: [dr1, dr2, retired] })), /^key director-root-0 \(.{8}\) is not a director-root key of director root 2$/);
});

test("one director-root key, also given twice, is below the threshold", () => {
  refusedWith(() => planDirectorRotation(directorRoot(), next.key, input({ rootKeys: [dr1] })), /^rotating needs 2 of the director root keys; 1 distinct given$/);
  refusedWith(() => planDirectorRotation(directorRoot(), next.key, input({ rootKeys: [dr1, dr1] })), /^rotating needs 2 of the director root keys; 1 distinct given$/);
});

test("a lifetime that is not a positive number of days is refused", () => {
  for (const days of [0, -5, Number.NaN]) {
    refusedWith(() => planDirectorRotation(directorRoot(), next.key, input({ rootLifetimeDays: days })), /^the root lifetime must be a positive number of days/);
  }
});

test("a director-root key file without its private part cannot sign: refused, naming it", () => {
  assert.throws(() => planDirectorRotation(directorRoot(), next.key, input({ rootKeys: [dr1, publicPart(dr2)] })), /^key director-root-2 \(.{8}\) has no private part$/);
});

test.run();
