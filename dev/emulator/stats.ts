import type { RemoveTagsRequest } from '../../lib/core/ports.ts';

/** One RemoveTags call the emulator applied (including those answered with an injected 500). */
export interface RemoveTagsCallRecord extends RemoveTagsRequest {
  readonly requestId: string;
  /** Keys that were actually on the resource and are now gone. */
  readonly removedKeys: readonly string[];
  /** 200, or 500 when the `applyThen500` fault hid the success from the client. */
  readonly httpStatus: number;
  /** Emulator clock at apply time, epoch ms. */
  readonly atMs: number;
}

/** Counts for one second of emulator clock. */
export interface SecondStats {
  /** Epoch second (emulator clock). */
  readonly epochSecond: number;
  ok: number;
  throttled: number;
  /** Error answers other than throttling. */
  errors: number;
  resets: number;
  hangs: number;
}

/** How the calls of one action ended; calls that named no served action are not counted here. */
export interface ActionStats {
  /** 200 answers. */
  ok: number;
  /** `Throttling.User` answers from the action's own flow control. */
  throttled: number;
  /** Error answers other than throttling, injected 5xx included. */
  errors: number;
  /** Calls the `reset` or `hang` fault left without an answer. */
  dropped: number;
}

/** Counters for tests and benchmarks; a deep copy, safe to keep. */
export interface EmulatorStats {
  /** Every HTTP request received. */
  readonly requests: number;
  /** 200 answers. */
  readonly ok: number;
  /** `Throttling.User` answers. */
  readonly throttled: number;
  /** Every error answer by `Code`, including `Throttling.User` and injected 5xx. */
  readonly errorsByCode: Readonly<Record<string, number>>;
  /** Sockets destroyed by the `reset` fault. */
  readonly resets: number;
  /** Requests left unanswered by the `hang` fault. */
  readonly hangs: number;
  /** RemoveTags calls applied to the inventory (200 and apply-then-500). */
  readonly accepted: number;
  /** Each applied RemoveTags call, in apply order. */
  readonly calls: readonly RemoveTagsCallRecord[];
  /** Per-second counts, oldest first. */
  readonly perSecond: readonly SecondStats[];
  /** Counts by action (`RemoveTags`, …), e.g. to count list calls apart from removals. */
  readonly byAction: Readonly<Record<string, ActionStats>>;
}

type Outcome = 'ok' | 'throttled' | 'error' | 'reset' | 'hang';

// Where each outcome is counted in a second's counts and in an action's.
const SECOND_FIELD = {
  ok: 'ok',
  throttled: 'throttled',
  error: 'errors',
  reset: 'resets',
  hang: 'hangs',
} as const satisfies Record<Outcome, keyof Omit<SecondStats, 'epochSecond'>>;
const ACTION_FIELD = {
  ok: 'ok',
  throttled: 'throttled',
  error: 'errors',
  reset: 'dropped',
  hang: 'dropped',
} as const satisfies Record<Outcome, keyof ActionStats>;

function zeroTotals(): Record<Outcome, number> {
  return { ok: 0, throttled: 0, error: 0, reset: 0, hang: 0 };
}

/** Mutable recorder behind {@link EmulatorStats}; cheap enough for every request. */
export class StatsRecorder {
  #requests = 0;
  #totals = zeroTotals();
  #accepted = 0;
  #errorsByCode = new Map<string, number>();
  #calls: RemoveTagsCallRecord[] = [];
  #perSecond = new Map<number, SecondStats>();
  #byAction = new Map<string, ActionStats>();
  readonly #recordCalls: boolean;

  constructor(recordCalls: boolean) {
    this.#recordCalls = recordCalls;
  }

  /** Counts an incoming request. */
  request(): void {
    this.#requests += 1;
  }

  /** Counts how a request ended; `code` is the error code for error answers, `action` the served action named. */
  outcome(outcome: Outcome, nowMs: number, code?: string, action?: string): void {
    if (action !== undefined) this.#action(action)[ACTION_FIELD[outcome]] += 1;
    this.#second(nowMs)[SECOND_FIELD[outcome]] += 1;
    this.#totals[outcome] += 1;
    if (code !== undefined) this.#errorsByCode.set(code, (this.#errorsByCode.get(code) ?? 0) + 1);
  }

  /** Records an applied RemoveTags call. */
  applied(record: RemoveTagsCallRecord): void {
    this.#accepted += 1;
    if (this.#recordCalls) this.#calls.push(record);
  }

  /** A snapshot of all counters. */
  snapshot(): EmulatorStats {
    return {
      requests: this.#requests,
      ok: this.#totals.ok,
      throttled: this.#totals.throttled,
      errorsByCode: Object.fromEntries(this.#errorsByCode),
      resets: this.#totals.reset,
      hangs: this.#totals.hang,
      accepted: this.#accepted,
      calls: this.#calls.map((c) => ({ ...c, tags: c.tags.map((t) => ({ ...t })), removedKeys: [...c.removedKeys] })),
      perSecond: [...this.#perSecond.values()].sort((a, b) => a.epochSecond - b.epochSecond).map((s) => ({ ...s })),
      byAction: Object.fromEntries([...this.#byAction].map(([action, counts]) => [action, { ...counts }])),
    };
  }

  /** Zeroes every counter and forgets recorded calls. */
  reset(): void {
    this.#requests = 0;
    this.#totals = zeroTotals();
    this.#accepted = 0;
    this.#errorsByCode.clear();
    this.#calls = [];
    this.#perSecond.clear();
    this.#byAction.clear();
  }

  #action(action: string): ActionStats {
    let counts = this.#byAction.get(action);
    if (!counts) {
      counts = { ok: 0, throttled: 0, errors: 0, dropped: 0 };
      this.#byAction.set(action, counts);
    }
    return counts;
  }

  #second(nowMs: number): SecondStats {
    const epochSecond = Math.floor(nowMs / 1000);
    let entry = this.#perSecond.get(epochSecond);
    if (!entry) {
      entry = { epochSecond, ok: 0, throttled: 0, errors: 0, resets: 0, hangs: 0 };
      this.#perSecond.set(epochSecond, entry);
    }
    return entry;
  }
}
