/** Ending a long-running command by signal: the first of SIGINT, SIGTERM, SIGHUP. */
import type { Deps } from '../deps.js';

export type StopSignal = 'SIGINT' | 'SIGTERM' | 'SIGHUP';

export interface SignalWatch {
  /** Resolves with the first signal; never when none comes. */
  stopped: Promise<StopSignal>;
  /** Hands the signals back to their defaults. */
  dispose(): void;
}

export function watchSignals(deps: Pick<Deps, 'onSignal'>): SignalWatch {
  const offs: Array<() => void> = [];
  const stopped = new Promise<StopSignal>((resolve) => {
    for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
      const off = deps.onSignal?.(sig, () => resolve(sig));
      if (off) offs.push(off);
    }
  });
  return { stopped, dispose: () => offs.splice(0).forEach((off) => off()) };
}
