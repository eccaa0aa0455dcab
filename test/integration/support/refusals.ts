/**
 * For integration tests: a call that must be refused, with the refusal's message (and, when given, its error name).
 */
import * as assert from "uvu/assert";

/**
 * Awaits `run` and fails the test unless it rejects with a message matching `pattern` (and named `errorName`).
 *
 * @example
 * await refusedWith(() => Promise.reject(new RangeError("lifetime 0 is not a positive number of days")), /positive number/, "RangeError");
 */
export async function refusedWith(run: () => Promise<unknown>, pattern: RegExp | string, errorName?: string): Promise<void> {
  await run().then(
    () => assert.unreachable(`expected a refusal matching ${String(pattern)}`),
    (error: Error) => {
      if (errorName !== undefined) assert.is(error.name, errorName, error.message);
      assert.match(error.message, pattern);
    },
  );
}
