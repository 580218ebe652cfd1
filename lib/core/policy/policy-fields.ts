/** Zod schemas for the single fields of a policy file; each failure reason says what the value should be. */
import * as z from 'zod';
import { isSystemTagKey } from '../ecs-api.ts';
import { messageOf } from '../errors.ts';
import { codePointLength, describe } from '../manifest/describe.ts';
import { isValidResourceId } from '../manifest/schema.ts';
import { RESOURCE_TYPES, type ResourceType } from '../manifest/types.ts';

const NAME_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;
// Same rule as the manifest's regionId: the region becomes part of the endpoint host name.
const REGION_ID_PATTERN = /^[a-z]{2}(-[a-z0-9]+)+$/;
const MAX_REGION_ID_LENGTH = 64;
// Tag rules from the ECS tag docs (as the manifest applies them): 1–128 characters, no URLs.
const MAX_TAG_TEXT = 128;
const URL_MARKERS = ['http://', 'https://'] as const;
const CONTROL_CHARACTER = /\p{Cc}/u;
// With the u flag a paired surrogate reads as one astral code point, so only unpaired halves match.
const LONE_SURROGATE = /\p{Cs}/u;
// A pattern is tested against keys of at most 128 characters; a longer source is a mistake, not a rule.
const MAX_PATTERN_LENGTH = 1024;

/** YAML reads `true` or `42` as a boolean or number; say how to write it as text. */
function quoteHint(input: unknown): string {
  return typeof input === 'number' || typeof input === 'boolean' ? ` (quote it to use it as text: "${input}")` : '';
}

function typeError(expected: string, hint: (input: unknown) => string = () => '') {
  return (iss: { readonly input?: unknown }) =>
    iss.input === undefined ? 'is required' : `must be ${expected}; got ${describe(iss.input)}${hint(iss.input)}`;
}

/** Error for a value that should be a YAML map (a JSON object). */
export const mapError = typeError('a map of fields');
/** Error for a value that should be a YAML sequence (a JSON array). */
export const listError = typeError('a list');

/** A string that must pass `problems`; each returned reason becomes one issue. */
function checkedString(problems: (s: string) => readonly string[]) {
  return z.string({ error: typeError('a string', quoteHint) }).superRefine((s, ctx) => {
    for (const message of problems(s)) ctx.addIssue({ code: 'custom', message });
  });
}

/** Reasons a tag key or value breaks the ECS tag rules. */
function tagTextProblems(s: string, minLength: 0 | 1): string[] {
  const length = codePointLength(s, MAX_TAG_TEXT + 1);
  if (length < minLength) return ['must not be empty'];
  if (length > MAX_TAG_TEXT) return [`must be at most ${MAX_TAG_TEXT} characters; got ${codePointLength(s)}`];
  const problems: string[] = [];
  const control = CONTROL_CHARACTER.exec(s);
  if (control) {
    const code = control[0].codePointAt(0) ?? 0;
    problems.push(`must not contain control characters; found U+${code.toString(16).toUpperCase().padStart(4, '0')}`);
  }
  if (LONE_SURROGATE.test(s)) problems.push('must be valid Unicode text; it contains a lone surrogate');
  const url = URL_MARKERS.find((m) => s.includes(m));
  if (url) problems.push(`must not contain "${url}"`);
  return problems;
}

function systemKeyProblem(s: string, what: string): string[] {
  return isSystemTagKey(s) ? [`${what} a system tag (acs:, aliyun prefixes); system tags are never removed`] : [];
}

/** Any tag key, system keys included (a protect rule may name `acs:rm:rgId`). */
export const tagKey = checkedString((s) => tagTextProblems(s, 1));
/** A tag value; the empty string is a valid value. */
export const tagValue = checkedString((s) => tagTextProblems(s, 0));
/** A key a rule may remove or keep: a tag key that is not a system key. */
export const removableKey = checkedString((s) => {
  const problems = tagTextProblems(s, 1);
  return problems.length > 0 ? problems : systemKeyProblem(s, 'names');
});
/** A key prefix: tag key text that does not start inside the system namespace. */
export const keyPrefix = checkedString((s) => {
  const problems = tagTextProblems(s, 1);
  return problems.length > 0 ? problems : systemKeyProblem(s, 'only matches');
});

/** A JavaScript regular expression source, compiled once here so a bad one is refused before any listing. */
export const keyPattern = checkedString((s) => {
  if (s.length === 0) return ['must not be empty'];
  if (s.length > MAX_PATTERN_LENGTH) return [`must be at most ${MAX_PATTERN_LENGTH} characters; got ${s.length}`];
  try {
    new RegExp(s);
    return [];
  } catch (error) {
    return [`must compile as a JavaScript regular expression: ${messageOf(error)}`];
  }
});

export const policyName = checkedString((s) =>
  NAME_PATTERN.test(s) ? [] : [`must be 1–64 characters of A-Z, a-z, 0-9, ".", "_" and "-"; got ${describe(s)}`],
);

export const regionId = checkedString((s) =>
  s.length <= MAX_REGION_ID_LENGTH && REGION_ID_PATTERN.test(s)
    ? []
    : [`must look like cn-hangzhou (lower-case letters, digits and "-"); got ${describe(s)}`],
);

export const resourceId = checkedString((s) =>
  isValidResourceId(s)
    ? []
    : [`must be a resource id (1–128 of letters, digits, ".", "_", ":" and "-"); got ${describe(s)}`],
);

export const resourceType: z.ZodType<ResourceType> = z.enum(RESOURCE_TYPES, {
  error: (iss) =>
    iss.input === undefined
      ? 'is required'
      : `must be one of ${RESOURCE_TYPES.join(', ')} (lower case); got ${describe(iss.input)}`,
});

export const policyVersion = z.literal(1, {
  error: (iss) =>
    iss.input === undefined ? 'is required; write version: 1' : `must be the number 1; got ${describe(iss.input)}`,
});

export const positiveInteger = z.number({ error: typeError('a positive integer') }).superRefine((n, ctx) => {
  if (!Number.isSafeInteger(n) || n < 1) {
    ctx.addIssue({ code: 'custom', message: `must be a positive integer; got ${describe(n)}` });
  }
});

/** A list of strings; `emptyReason` refuses an empty list, and a repeated item is refused at its index. */
export function uniqueList<T extends string>(item: z.ZodType<T>, emptyReason?: string) {
  const array = z.array(item, { error: listError });
  return (emptyReason === undefined ? array : array.min(1, { error: emptyReason })).superRefine((items, ctx) => {
    const firstIndex = new Map<string, number>();
    items.forEach((s, index) => {
      const first = firstIndex.get(s);
      if (first === undefined) firstIndex.set(s, index);
      else ctx.addIssue({ code: 'custom', path: [index], message: `repeats ${describe(s)} (first at [${first}])` });
    });
  });
}
