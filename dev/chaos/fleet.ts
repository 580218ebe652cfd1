import type { LocalStack } from '../local/stack.ts';
import type { ChaosOptions } from './chaos-options.ts';
import type { Container, ContainerSinks } from './container.ts';
import { forkContainer } from './fork-container.ts';
import { inlineContainer } from './inline-container.ts';
import { settingsEnv, type WorkerSettings } from './worker-kit.ts';

/** Starts the container with this id. */
export type LaunchContainer = (id: number) => Promise<Container>;

/** A container killed mid-invocation, and the messages it held. */
export interface KilledContainer {
  readonly id: number;
  readonly messageIds: readonly string[];
}

/** The handler containers of a run: started, replaced after a kill, and stopped together. */
export class Fleet {
  readonly #containers: Container[] = [];
  readonly #launch: LaunchContainer;
  #launched = 0;

  constructor(launch: LaunchContainer) {
    this.#launch = launch;
  }

  /** Containers started so far, those killed and replaced included. */
  get launched(): number {
    return this.#launched;
  }

  /** Starts one more container. */
  async launch(): Promise<Container> {
    const container = await this.#launch(this.#launched++);
    this.#containers.push(container);
    return container;
  }

  /** True while some container runs an invocation or a handler left running by a timed-out one. */
  busy(): boolean {
    return this.#containers.some((c) => c.busy !== undefined || c.running > 0);
  }

  /**
   * SIGKILLs a forked container that has been running an invocation for over `minBusyMs` and starts a
   * replacement, as Lambda would. Returns what was killed, or undefined when no container is that busy.
   */
  killBusyChild(minBusyMs: number, onRelaunchError: (error: unknown) => void): KilledContainer | undefined {
    const victim = this.#containers.find((c) => c.child && c.busy && Date.now() - c.busy.since > minBusyMs);
    if (!victim?.child || !victim.busy) return undefined;
    const killed = { id: victim.id, messageIds: victim.busy.messageIds };
    victim.child.kill('SIGKILL');
    this.#containers.splice(this.#containers.indexOf(victim), 1);
    this.launch().catch(onRelaunchError);
    return killed;
  }

  /** Stops every container; throws the first failure once all have stopped. */
  async stopAll(): Promise<void> {
    const results = await Promise.allSettled(this.#containers.splice(0).map((c) => c.stop()));
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
  }
}

/**
 * How a run starts a container: forked with the handler's environment plus its CHAOS_* settings, or in this
 * process; in `inline` mode with `crashAfterMs`, container 0's first invocation crashes after its work.
 */
export function containerLauncher(
  options: ChaosOptions,
  stack: LocalStack,
  handlerEnv: Readonly<Record<string, string>>,
  sinks: ContainerSinks,
): LaunchContainer {
  return async (id) => {
    const settings = workerSettingsFor(options, stack, id);
    if (options.mode === 'process') {
      return forkContainer(id, { ...process.env, ...handlerEnv, ...settingsEnv(settings) }, sinks);
    }
    const crash = id === 0 && options.crashAfterMs !== undefined;
    return inlineContainer(id, handlerEnv, stack, settings, sinks, crash);
  };
}

/** Container `id`'s settings; each gets its own seed so that their cuts differ. */
function workerSettingsFor(options: ChaosOptions, stack: LocalStack, id: number): WorkerSettings {
  return {
    sqsEndpoint: stack.sqsEndpoint,
    queueUrl: stack.queueUrl,
    seed: options.seed * 1000 + id,
    functionTimeoutMs: options.functionTimeoutMs,
    batchSize: options.batchSize,
    cutRate: options.cut.rate,
    cutMinMs: options.cut.minMs,
    cutMaxMs: options.cut.maxMs,
  };
}
