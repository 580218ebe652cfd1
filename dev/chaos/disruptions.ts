import type { RunningEmulator } from '../emulator/server.ts';
import type { Fleet, KilledContainer } from './fleet.ts';

/** A container killed mid-invocation, and when, in ms from the run's start. */
export interface KillRecord extends KilledContainer {
  readonly atMs: number;
}

/** Periodic drops of the emulator's limit to `factor` × maxQps. */
export interface ThrottleBursts {
  readonly everyMs: number;
  readonly durationMs: number;
  readonly factor: number;
}

// A container counts as mid-batch once its invocation has run this long.
const KILL_MIN_BUSY_MS = 300;
// How often to look again for a busy container to kill.
const KILL_RETRY_MS = 100;

/** The timed faults of a run: throttle bursts on the emulator's limit, and one SIGKILL of a busy container. */
export class Disruptions {
  readonly #timers: NodeJS.Timeout[] = [];
  #bursts = 0;
  #kill: KillRecord | undefined;

  /** Throttle bursts begun so far. */
  get bursts(): number {
    return this.#bursts;
  }

  /** The kill, once it happened. */
  get kill(): KillRecord | undefined {
    return this.#kill;
  }

  /** Every `everyMs`, drops the emulator's limit to `factor` × `maxQps` for `durationMs`. */
  startThrottleBursts(emulator: Pick<RunningEmulator, 'setMaxQps'>, maxQps: number, bursts: ThrottleBursts): void {
    const { everyMs, durationMs, factor } = bursts;
    this.#timers.push(
      setInterval(() => {
        this.#bursts++;
        emulator.setMaxQps(maxQps * factor);
        this.#timers.push(setTimeout(() => emulator.setMaxQps(maxQps), durationMs));
      }, everyMs),
    );
  }

  /** From `afterMs` after `startedAt` on, kills the first container that is mid-batch and has it replaced. */
  scheduleKill(
    fleet: Fleet,
    afterMs: number,
    startedAt: number,
    say: (line: string) => void,
    onRelaunchError: (error: unknown) => void,
  ): void {
    const tryKill = (): void => {
      const killed = fleet.killBusyChild(KILL_MIN_BUSY_MS, onRelaunchError);
      if (!killed) {
        this.#timers.push(setTimeout(tryKill, KILL_RETRY_MS));
        return;
      }
      this.#kill = { ...killed, atMs: Date.now() - startedAt };
      say(`SIGKILL container ${killed.id} with ${killed.messageIds.length} message(s) in flight`);
    };
    this.#timers.push(setTimeout(tryKill, afterMs));
  }

  /** Cancels what has not happened yet; a burst in progress keeps the lowered limit (reset it). */
  stop(): void {
    for (const timer of this.#timers.splice(0)) clearTimeout(timer);
  }
}
