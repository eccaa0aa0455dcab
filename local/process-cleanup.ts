/**
 * Last-resort cleanup of child processes the local cloud starts (the emulator): synchronous hooks run on
 * process exit and on SIGINT/SIGTERM/SIGHUP, so no orphan survives a crash, a test that forgets to stop,
 * or Ctrl-C. A program with its own graceful signal handler (local/start.ts) keeps control: the hook then
 * only runs at the final exit.
 */
type SyncCleanup = () => void;

const cleanups = new Set<SyncCleanup>();
const SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
let installed = false;

function runCleanups(): void {
  for (const cleanup of [...cleanups]) {
    cleanups.delete(cleanup);
    try {
      cleanup();
    } catch {
      // best effort at exit: nothing else can be done here
    }
  }
}

function install(): void {
  if (installed) return;
  installed = true;
  process.on("exit", runCleanups);
  for (const signal of SIGNALS) {
    const onSignal = (): void => {
      // Someone else handles this signal gracefully; they will stop us and exit.
      if (process.listenerCount(signal) > 1) return;
      runCleanups();
      process.removeListener(signal, onSignal);
      process.kill(process.pid, signal);
    };
    process.on(signal, onSignal);
  }
}

/**
 * Registers a synchronous cleanup to run when the process ends; returns a function that unregisters it.
 *
 * @example
 * const unregister = onProcessExit(() => process.kill(-child.pid!, "SIGKILL"));
 * // … after a graceful stop:
 * unregister();
 */
export function onProcessExit(cleanup: SyncCleanup): () => void {
  install();
  cleanups.add(cleanup);
  return () => cleanups.delete(cleanup);
}
