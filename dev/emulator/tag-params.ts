import { type EcsErrorAnswer, ecsError, type OrEcsError } from './ecs-error.ts';
import type { CallParams } from './read-params.ts';

/** One `Tag.N` of a call: its N, and its key and value as given (either may be missing). */
export interface TagParam {
  readonly index: number;
  readonly key?: string;
  readonly value?: string;
}

const TAG_PARAM = /^Tag\.(\d+)\.(Key|Value)$/;

/**
 * Collects the `Tag.N.Key` / `Tag.N.Value` parameters in N order. A malformed `Tag.` name is
 * `InvalidParameter`; an N outside 1..maxIndex is `InvalidTagCount`, as ECS answers both.
 */
export function readTagParams(params: CallParams, maxIndex: number): OrEcsError<{ readonly tags: TagParam[] }> {
  const byIndex = new Map<number, { key?: string; value?: string }>();
  for (const [name, value] of Object.entries(params)) {
    if (!name.startsWith('Tag.')) continue;
    const match = TAG_PARAM.exec(name);
    if (!match) return { error: ecsError('InvalidParameter', 400, `The specified parameter "${name}" is not valid.`) };
    const index = Number(match[1]);
    if (index < 1 || index > maxIndex) return { error: tooManyTags() };
    const entry = byIndex.get(index) ?? {};
    if (match[2] === 'Key') entry.key = value;
    else entry.value = value;
    byIndex.set(index, entry);
  }
  return { tags: [...byIndex].sort(([a], [b]) => a - b).map(([index, entry]) => ({ index, ...entry })) };
}

/** `InvalidTagCount`: no tags where some are needed, or an N beyond the API's limit. */
export function tooManyTags(): EcsErrorAnswer {
  return ecsError('InvalidTagCount', 400, 'The specified tags are beyond the permitted range.');
}
