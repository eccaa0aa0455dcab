/**
 * The agent's image GET has deadlines (simulator/ota-agent/image-fetcher.ts): a body that stops sending, or a GET
 * that never answers, is aborted and reported as a transient fetch failure, and the agent's fetch budget ends it
 * as DOWNLOAD_FAILED. The deadlines run on injected timers fired by the test: nothing here waits on real time.
 */
import type { GetObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { IMAGE_FETCH_TRIES, imageFetchWanted, initialMemory, stepAgent, type ImageFetchRequest } from "../../../../simulator/ota-agent/agent-machine.js";
import { fetchImages, type FetchTimers } from "../../../../simulator/ota-agent/image-fetcher.js";
import { environment, facts, IMAGE_BYTES, IMAGE_KEY, NOW, signedDocument, SIGNED_IMAGE, trust } from "./support/documents.js";

const DEADLINES = { stallMs: 30_000, minimumMs: 600_000, minBytesPerSecond: 16 * 1024 } as const;

/** Timers that fire only when the test says so. */
function manualTimers() {
  const pending = new Map<number, { callback: () => void; ms: number }>();
  let next = 0;
  const timers: FetchTimers = {
    set: (callback, ms) => (pending.set(++next, { callback, ms }), next),
    clear: (handle) => void pending.delete(handle as number),
  };
  return {
    timers,
    pending: () => [...pending.values()].map((timer) => timer.ms),
    /** Fires the pending timers set for `ms`. */
    fire(ms: number) {
      for (const [id, timer] of [...pending]) if (timer.ms === ms) (pending.delete(id), timer.callback());
    },
  };
}

/**
 * A GetObject stand-in: `stall: "response"` never answers; otherwise the body yields `chunks` chunks of the image and
 * then awaits a promise that never resolves. `stalled` resolves when it got there.
 */
function stallingS3(options: { stall: "response" | "body"; chunks?: number }) {
  let reached!: () => void;
  const stalled = new Promise<void>((resolve) => (reached = resolve));
  const calls: { abortSignal?: AbortSignal }[] = [];
  async function* body(): AsyncGenerator<Uint8Array> {
    for (let index = 0; index < (options.chunks ?? 1); index++) yield IMAGE_BYTES.subarray(index * 1024, (index + 1) * 1024);
    reached();
    await new Promise(() => undefined);
  }
  const s3 = {
    send: async (_command: GetObjectCommand, sendOptions: { abortSignal?: AbortSignal } = {}) => {
      calls.push(sendOptions);
      if (options.stall === "response") {
        reached();
        return new Promise(() => undefined);
      }
      return { Body: body() };
    },
  } as unknown as S3Client;
  return { s3, stalled, calls };
}

const request = (fetch = 1): ImageFetchRequest => ({ jobId: "cmp-1:job", attempt: 1, fetch, images: [{ objectKey: IMAGE_KEY, length: SIGNED_IMAGE.length, sha256: SIGNED_IMAGE.sha256 }] });

test("a body that stops sending after its first bytes: aborted after 30 s without a byte, a transient failure; no timer left", async () => {
  const clock = manualTimers();
  const { s3, stalled } = stallingS3({ stall: "body" });
  const result = fetchImages(s3, "data-lake", request(), { timers: clock.timers, deadlines: DEADLINES });
  await stalled;
  clock.fire(DEADLINES.stallMs);
  assert.equal(await result, {
    jobId: "cmp-1:job",
    attempt: 1,
    fetch: 1,
    ok: false,
    transient: true,
    reason: `GET ${IMAGE_KEY} stalled: no byte for 30 s`,
  });
  assert.equal(clock.pending(), []);
});

test("a GET that never answers is aborted (its AbortSignal too) when 30 s pass without a response", async () => {
  const clock = manualTimers();
  const { s3, stalled, calls } = stallingS3({ stall: "response" });
  const result = fetchImages(s3, "data-lake", request(), { timers: clock.timers, deadlines: DEADLINES });
  await stalled;
  clock.fire(DEADLINES.stallMs);
  const outcome = await result;
  assert.is(outcome.ok, false);
  assert.match(outcome.ok ? "" : outcome.reason, /stalled: no byte for 30 s$/);
  assert.is(calls[0]?.abortSignal?.aborted, true, "the SDK request is aborted, not left running");
});

test("a body that keeps trickling is ended by the whole GET's deadline: max(minimum, length at the minimum rate)", async () => {
  const clock = manualTimers();
  const { s3, stalled } = stallingS3({ stall: "body", chunks: 5 });
  const result = fetchImages(s3, "data-lake", request(), { timers: clock.timers, deadlines: DEADLINES });
  await stalled;
  // Each chunk reset the stall timer: one stall timer and the total one are pending.
  assert.equal(clock.pending().sort(), [DEADLINES.stallMs, DEADLINES.minimumMs].sort());
  clock.fire(DEADLINES.minimumMs);
  const outcome = await result;
  assert.equal([outcome.ok, outcome.ok ? undefined : outcome.transient], [false, true]);
  assert.match(outcome.ok ? "" : outcome.reason, `took longer than 600 s (its deadline for ${SIGNED_IMAGE.length} bytes)`);
});

test(`an image that stalls on every fetch ends the job FAILED (DOWNLOAD_FAILED) after ${IMAGE_FETCH_TRIES} fetches; the agent is never stuck`, async () => {
  const vehicle = facts();
  let memory = initialMemory(vehicle.firmwareVersion, trust(), 6);
  const document = { tag: "etag-1", body: signedDocument() };
  const statuses: string[] = [];
  let reason = "";
  let fetches = 0;
  for (let tick = 0, now = NOW; tick < 20 && !statuses.includes("FAILED"); tick++, now += 60_000) {
    const wanted = imageFetchWanted(memory, vehicle, now);
    let fetched;
    if (wanted !== undefined) {
      fetches++;
      const clock = manualTimers();
      const { s3, stalled } = stallingS3({ stall: "body" });
      const pending = fetchImages(s3, "data-lake", wanted, { timers: clock.timers, deadlines: DEADLINES });
      await stalled;
      clock.fire(DEADLINES.stallMs);
      fetched = await pending;
    }
    const step = stepAgent(memory, vehicle, now, document, environment(), fetched);
    memory = step.memory;
    if (step.report) {
      statuses.push(step.report.status);
      reason = step.report.reason ?? "";
    }
  }
  assert.equal(statuses, ["DOWNLOADING", "FAILED"]);
  assert.is(fetches, IMAGE_FETCH_TRIES);
  assert.match(reason, /^DOWNLOAD_FAILED: GET firmware\/images\/[0-9a-f]{64} stalled: no byte for 30 s \(fetch 3 of at most 3\); nothing installed$/);
});

test.run();
