import { SlotChangedError, type JobDocumentChannel, type JobSlot, type SlotHolder } from "../../../../campaigns/document-channel.js";

/**
 * S3 as the vehicles see it, for update-service tests: one document per VIN (`jobs/<VIN>.json`). A write names the
 * slot as its writer read it and fails with SlotChangedError when it changed since, as S3's `If-Match` /
 * `If-None-Match: *` do; with `lastWriterWins` every write lands (a store without conditional writes: what must
 * hold then rests on the update service's own ordering). `beforePut` runs once before the next write lands, after
 * its writer decided (the KMS Sign round trip), to interleave another invocation there.
 */
export interface DocumentSlots {
  channel: JobDocumentChannel;
  /** `${vin}#${attempt}` of each document written, in order. */
  published: string[];
  /** The VIN of each withdrawal written, in order. */
  withdrawn: string[];
  /** "INSTALL <jobId> attempt <n>", "WITHDRAWN" or "(none)". */
  describe(vin: string): string;
  holder(vin: string): SlotHolder | undefined;
  beforePut: (() => Promise<unknown>) | undefined;
}

export function documentSlots(options: { lastWriterWins?: boolean } = {}): DocumentSlots {
  const slots = new Map<string, { etag: string; holder?: SlotHolder }>();
  let tags = 0;
  const key = (vin: string) => `jobs/${vin}.json`;
  const read = async (vin: string): Promise<JobSlot> => {
    const slot = slots.get(vin);
    return { key: key(vin), ...(slot ? { etag: slot.etag } : {}), ...(slot?.holder ? { holder: slot.holder } : {}) };
  };
  const self: DocumentSlots = {
    published: [],
    withdrawn: [],
    beforePut: undefined,
    describe(vin) {
      const slot = slots.get(vin);
      if (!slot) return "(none)";
      return slot.holder ? `INSTALL ${slot.holder.jobId} attempt ${slot.holder.attempt}` : "WITHDRAWN";
    },
    holder: (vin) => slots.get(vin)?.holder,
    channel: {
      read,
      async publish(job, _campaign, _at, expected) {
        await put(job.vin, { jobId: job.jobId, campaignId: job.campaignId, attempt: job.attempt }, expected);
        self.published.push(`${job.vin}#${job.attempt}`);
        return key(job.vin);
      },
      async withdraw(job) {
        for (;;) {
          const slot = await read(job.vin);
          if (slot.holder?.jobId !== job.jobId || slot.holder.attempt > job.attempt) return;
          try {
            await put(job.vin, undefined, slot);
          } catch (error) {
            if (error instanceof SlotChangedError) continue;
            throw error;
          }
          self.withdrawn.push(job.vin);
          return;
        }
      },
      async releaseExists() {
        return true;
      },
    },
  };
  async function put(vin: string, holder: SlotHolder | undefined, expected: JobSlot | undefined): Promise<void> {
    const hook = self.beforePut;
    self.beforePut = undefined;
    if (hook) await hook();
    // `expected` undefined: a writer that read nothing (an unconditional PutObject).
    if (expected !== undefined && !options.lastWriterWins && slots.get(vin)?.etag !== expected.etag) throw new SlotChangedError(vin);
    slots.set(vin, { etag: `"${++tags}"`, ...(holder ? { holder } : {}) });
  }
  return self;
}
