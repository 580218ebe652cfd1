import { InterruptedError } from '../core/errors.ts';

/** Exit codes of an interrupted run: 128 + the signal number, as shells report it. */
export const INTERRUPT_EXIT_CODES = { SIGINT: 130, SIGTERM: 143 } as const;

/** The first Ctrl-C or SIGTERM of a command: its signal aborts with an InterruptedError. */
export interface Interrupt {
  readonly signal: AbortSignal;
  dispose(): void;
}

/**
 * Turns the first SIGINT or SIGTERM into an abort signal, so the command starts no new call, lets the
 * calls in flight finish, and still logs one outcome per resource, the summaries and the report. A
 * second signal exits at once with the same code.
 */
export function onInterrupt(
  proc: Pick<NodeJS.Process, 'on' | 'off'> = process,
  stderr: Pick<NodeJS.WritableStream, 'write'> = process.stderr,
  exit: (code: number) => void = (code) => process.exit(code),
): Interrupt {
  const controller = new AbortController();
  const handle = (name: 'SIGINT' | 'SIGTERM') => {
    if (controller.signal.aborted) {
      exit(INTERRUPT_EXIT_CODES[name]);
      return;
    }
    stderr.write(
      `\ntag-cleanup: ${name} received: no new call starts; calls in flight finish, then every resource ` +
        'is reported (send it again to quit at once)\n',
    );
    controller.abort(new InterruptedError(name));
  };
  const onInt = () => handle('SIGINT');
  const onTerm = () => handle('SIGTERM');
  proc.on('SIGINT', onInt);
  proc.on('SIGTERM', onTerm);
  return {
    signal: controller.signal,
    dispose() {
      proc.off('SIGINT', onInt);
      proc.off('SIGTERM', onTerm);
    },
  };
}
