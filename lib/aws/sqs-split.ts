import { MessageTooLargeError } from '../core/errors.ts';
import { sqsBody } from './sqs-body.ts';

/**
 * Bytes kept back from the queue's message size limit for message attributes.
 * SQS counts each attribute's name, data type and value against the same limit as the body, and the DLQ
 * hand-off adds a few (`tagCleanup.code`, `tagCleanup.reason`, `tagCleanup.source`; the reason is capped
 * well below this), so a body that fills the limit exactly could never be dead-lettered with its reason.
 */
export const ATTRIBUTE_HEADROOM_BYTES = 2048;

/** The shape the splitter needs: a resource list whose entries carry a tag list. Other fields are copied. */
export interface SplittableManifest {
  readonly resources: readonly { readonly tags: readonly unknown[] }[];
  readonly part?: { readonly index: number; readonly count: number };
}

/** One part of a split manifest: the envelope unchanged, a run of the resources, and its `part` numbers. */
export type ManifestPart<M extends SplittableManifest> = Omit<M, 'resources' | 'part'> & {
  resources: M['resources'][number][];
  part: { index: number; count: number };
};

/** Options of {@link splitWireManifest}. */
export interface SplitOptions {
  /** Bytes reserved for message attributes. @default ATTRIBUTE_HEADROOM_BYTES */
  readonly attributeHeadroomBytes?: number;
}

/** Size of a string once UTF-8 encoded, which is how SQS measures bodies. */
export function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/**
 * Splits a wire manifest into messages whose body (as {@link sqsBody} writes it) fits in `maxBytes` minus the
 * attribute headroom.
 * A manifest that fits is returned alone and untouched. Otherwise each part keeps every field but
 * `resources` (manifestId, regionId, dryRun, continuation, ...), takes a contiguous run of resources in
 * input order, and gets `part: {index, count}` (1-based; an incoming `part` is replaced). Runs are packed
 * greedily (next fit), which is the fewest parts any order-preserving split of whole resources can use. A resource too large for a message
 * of its own is cut into several entries for the same resource, each with a share of its tags; the planner
 * merges them again. Throws {@link MessageTooLargeError} when even one tag or the bare envelope cannot fit.
 */
export function splitWireManifest<M extends SplittableManifest>(
  wire: M,
  maxBytes: number,
  options: SplitOptions = {},
): (M | ManifestPart<M>)[] {
  const budget = maxBytes - (options.attributeHeadroomBytes ?? ATTRIBUTE_HEADROOM_BYTES);
  if (!Number.isFinite(budget) || budget <= 0) {
    throw new RangeError(`maxBytes (${maxBytes}) leaves no room for a message body after the attribute headroom`);
  }
  if (utf8Bytes(sqsBody(wire)) <= budget) return [wire];

  const { resources, part: _replaced, ...envelope } = wire;
  type Resource = M['resources'][number];
  // Bytes of the envelope with an empty resource list and a one-digit part; each extra digit adds one byte.
  const baseBytes = utf8Bytes(sqsBody({ ...envelope, resources: [], part: { index: 1, count: 1 } }));
  if (baseBytes >= budget) {
    throw new MessageTooLargeError(baseBytes, budget, 'the manifest without its resources');
  }

  // The part numbers' width changes the room left in every part, and the count is only known after packing.
  // Packing again with one more count digit converges: a smaller room can only raise the count.
  for (let countDigits = 1; ; countDigits += 1) {
    const roomFor = (index: number) => budget - baseBytes - (digits(index) - 1) - (countDigits - 1);
    const runs = pack<Resource>(resources, roomFor, budget);
    if (digits(runs.length) <= countDigits) {
      return runs.map((run, i) => ({ ...envelope, resources: run, part: { index: i + 1, count: runs.length } }));
    }
  }
}

function digits(n: number): number {
  return String(n).length;
}

/** Next-fit packing of resources into runs; `roomFor(i)` is the byte room for the items of run `i` (1-based). */
function pack<R extends { readonly tags: readonly unknown[] }>(
  resources: readonly R[],
  roomFor: (index: number) => number,
  budget: number,
): R[][] {
  const runs: R[][] = [];
  let run: R[] = [];
  // Bytes of the items in `run` joined by commas, i.e. what they add inside `"resources":[...]`.
  let used = 0;

  const room = () => roomFor(runs.length + 1);
  const fits = (bytes: number) => (run.length === 0 ? bytes : used + 1 + bytes) <= room();
  const add = (item: R, bytes: number) => {
    used = run.length === 0 ? bytes : used + 1 + bytes;
    run.push(item);
  };
  const close = () => {
    runs.push(run);
    run = [];
    used = 0;
  };

  for (const resource of resources) {
    const bytes = utf8Bytes(sqsBody(resource));
    if (fits(bytes)) {
      add(resource, bytes);
      continue;
    }
    // Keep a resource whole whenever a fresh message can hold it.
    if (run.length > 0 && bytes <= roomFor(runs.length + 2)) {
      close();
      add(resource, bytes);
      continue;
    }
    cutTags(resource, fits, add, close, () => run.length > 0, budget);
  }
  if (run.length > 0) close();
  return runs;
}

/**
 * Cuts an oversize resource into entries with consecutive shares of its tags, adding each to the current
 * run: the first share fills the room left there, and each later share starts a fresh run.
 */
function cutTags<R extends { readonly tags: readonly unknown[] }>(
  resource: R,
  fits: (bytes: number) => boolean,
  add: (item: R, bytes: number) => void,
  close: () => void,
  runHasItems: () => boolean,
  budget: number,
): void {
  const shellBytes = utf8Bytes(sqsBody({ ...resource, tags: [] }));
  const tagBytes = resource.tags.map((tag) => utf8Bytes(sqsBody(tag)));
  if (tagBytes.length === 0) throw new MessageTooLargeError(shellBytes, budget, 'a resources entry without tags');
  let start = 0;
  while (start < tagBytes.length) {
    let end = start;
    let bytes = shellBytes;
    // Tags are comma-separated inside `"tags":[...]`: the first adds its size, every other one a comma more.
    while (end < tagBytes.length) {
      const next = bytes + (tagBytes[end] ?? 0) + (end > start ? 1 : 0);
      if (!fits(next)) break;
      bytes = next;
      end += 1;
    }
    if (end === start) {
      if (runHasItems()) {
        // Too little room left for even one tag here; start this resource in a fresh run.
        close();
        continue;
      }
      throw new MessageTooLargeError(shellBytes + (tagBytes[start] ?? 0), budget, `resources entry with tag #${start}`);
    }
    add({ ...resource, tags: resource.tags.slice(start, end) }, bytes);
    start = end;
    // The next tag did not fit, so this run is full.
    if (start < tagBytes.length) close();
  }
}
