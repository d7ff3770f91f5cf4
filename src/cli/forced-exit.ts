/**
 * Work that must still happen when a second Ctrl-C exits at once (the run lock is given back
 * there too): e.g. cancelling the Datadog downtime a game day scheduled, which would otherwise keep
 * GKE's monitors muted for hours. Each cleanup is bounded by the caller's deadline.
 */
const cleanups = new Set<() => Promise<void>>();

/** Registers a cleanup; the returned function removes it (call it once the normal path has run it). */
export function onForcedExit(cleanup: () => Promise<void>): () => void {
  cleanups.add(cleanup);
  return () => {
    cleanups.delete(cleanup);
  };
}

/** Runs every registered cleanup at once, waiting at most `ms`; failures are the cleanups' to report. */
export async function runForcedExitCleanups(ms: number): Promise<void> {
  const pending = [...cleanups];
  cleanups.clear();
  if (pending.length === 0) return;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    Promise.allSettled(pending.map((cleanup) => cleanup())),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ms);
    }),
  ]);
  clearTimeout(timer);
}

/** The signals that stop a run (or a game day's hold) the way Ctrl-C does. */
export const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

let hangUp = false;

/** The run stopped because its terminal hung up (SIGHUP). */
export function markHangUp(): void {
  hangUp = true;
}

/**
 * After a hang-up the process ends by SIGHUP itself, once its cleanup is done: that tells a
 * supervisor what ended it, and Node 20 aborts (SIGABRT) in its exit path when the terminal is
 * gone, where death by the signal runs no exit path.
 */
export function endByHangUp(): void {
  if (!hangUp) return;
  process.removeAllListeners('SIGHUP');
  process.kill(process.pid, 'SIGHUP');
}
