import { AdaptiveRateController, type RateControllerOptions } from '../../../lib/engine/rate-controller.ts';

/** How the executor asked for send slots during a run. */
export type SlotApi = 'acquire' | 'reserve' | 'unknown';

/** The project's controller, unchanged, counting which slot API the executor calls (for the report). */
export class ObservedRateController extends AdaptiveRateController {
  #reserves = 0;
  #acquires = 0;

  constructor(options: RateControllerOptions) {
    super(options);
  }

  override reserve(deadlineAt?: number): number {
    this.#reserves++;
    return super.reserve(deadlineAt);
  }

  override acquire(deadlineAt?: number, signal?: AbortSignal): Promise<void> {
    this.#acquires++;
    return super.acquire(deadlineAt, signal);
  }

  /** The API used for most slots. */
  get slotApi(): SlotApi {
    if (this.#acquires === 0 && this.#reserves === 0) return 'unknown';
    return this.#acquires >= this.#reserves ? 'acquire' : 'reserve';
  }
}
