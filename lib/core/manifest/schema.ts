/** The zod schemas of a version-1 manifest, with messages that name each field and say what it should be. */
import * as z from 'zod';
import { SYSTEM_TAG_PREFIXES } from '../ecs-api.ts';
import { codePointLength, describe } from './describe.ts';
import type { AllowedFields } from './issues.ts';
import { MAX_TAGS_PER_ENTRY, RESOURCE_TYPES } from './types.ts';

const TOP_FIELDS = [
  'version',
  'manifestId',
  'regionId',
  'dryRun',
  'resources',
  'continuation',
  'origin',
  'part',
] as const;
const ORIGIN_FIELDS = ['kind', 'policy', 'policySha256', 'eventIds'] as const;
const ENTRY_FIELDS = ['resourceType', 'resourceId', 'regionId', 'tags'] as const;
const TAG_FIELDS = ['key', 'value'] as const;
const CONTINUATION_FIELDS = ['attempt', 'sourceMessageId', 'lastError'] as const;
const LAST_ERROR_FIELDS = ['code', 'message'] as const;
const PART_FIELDS = ['index', 'count'] as const;

const RESOURCE_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]*$/;
// The region becomes part of the endpoint host name (ecs.<region>.aliyuncs.com), so it must be strict.
const REGION_ID_PATTERN = /^[a-z]{2}(-[a-z0-9]+)+$/;
const MANIFEST_ID_PATTERN = /^[A-Za-z0-9._:-]+$/;
// Tag rules from the ECS tag docs: no system prefix and no URLs, for keys and values alike.
const URL_MARKERS = ['http://', 'https://'] as const;
// With the u flag a paired surrogate reads as one astral code point, so only unpaired halves match.
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * The first C0 control or DEL in `s`, written as `\x1b`, or undefined. No tag a person typed holds one, and
 * echoed to a terminal or a log viewer they can rewrite its screen or forge lines.
 */
function controlCharacterIn(s: string): string | undefined {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return `\\x${c.toString(16).padStart(2, '0')}`;
  }
  return undefined;
}

/** True for a resource id the planner can use as an identity: 1–128 chars of `[A-Za-z0-9._:-]`, alphanumeric first. */
export function isValidResourceId(value: unknown): value is string {
  return typeof value === 'string' && RESOURCE_ID_PATTERN.test(value) && codePointLength(value, 129) <= 128;
}

interface TextRules {
  readonly min: number;
  readonly max: number;
  readonly pattern?: RegExp;
  /** Words for the pattern, completing "<field> must ...". */
  readonly patternHint?: string;
  readonly tagContent?: boolean;
}

/** Every reason a string breaks its rules, each naming the field. */
function textProblems(field: string, s: string, rules: TextRules): string[] {
  const problems: string[] = [];
  const length = codePointLength(s, rules.max + 1);
  if (length < rules.min) problems.push(rules.min === 1 ? `${field} must not be empty` : `${field} is too short`);
  if (length > rules.max) {
    problems.push(`${field} must be at most ${rules.max} characters; got ${codePointLength(s)}`);
  }
  // An over-long value is reported once; matching patterns against megabytes tells the user nothing more.
  if (length > rules.max) return problems;
  if (rules.pattern && s.length > 0 && !rules.pattern.test(s)) {
    problems.push(`${field} must ${rules.patternHint ?? 'match its pattern'}; got ${describe(s)}`);
  }
  if (rules.tagContent) {
    // JSON can carry a lone surrogate ("\ud800"); it cannot be UTF-8 encoded, so the request signer would throw.
    if (LONE_SURROGATE.test(s)) problems.push(`${field} must be valid Unicode text; it contains a lone surrogate`);
    const control = controlCharacterIn(s);
    if (control) problems.push(`${field} must not contain control characters; found ${control}`);
    const prefix = SYSTEM_TAG_PREFIXES.find((p) => s.startsWith(p));
    if (prefix) problems.push(`${field} must not start with "${prefix}" (reserved by Alibaba Cloud)`);
    const url = URL_MARKERS.find((m) => s.includes(m));
    if (url) problems.push(`${field} must not contain "${url}"`);
  }
  return problems;
}

/** A zod string whose every failure message names the field. */
function text(field: string, rules: TextRules) {
  return z
    .string({
      error: (iss) =>
        iss.input === undefined ? `${field} is required` : `${field} must be a string; got ${describe(iss.input)}`,
    })
    .superRefine((s, ctx) => {
      for (const message of textProblems(field, s, rules)) ctx.addIssue({ code: 'custom', message });
    });
}

function positiveInteger(field: string) {
  return z
    .number({
      error: (iss) =>
        iss.input === undefined
          ? `${field} is required`
          : `${field} must be a positive integer; got ${describe(iss.input)}`,
    })
    .superRefine((n, ctx) => {
      if (!Number.isSafeInteger(n) || n < 1) {
        ctx.addIssue({ code: 'custom', message: `${field} must be a positive integer; got ${describe(n)}` });
      }
    });
}

function objectError(what: string) {
  return (iss: { readonly input?: unknown }) =>
    iss.input === undefined ? `${what} is required` : `${what} must be an object; got ${describe(iss.input)}`;
}

const regionRules: TextRules = {
  min: 1,
  max: 64,
  pattern: REGION_ID_PATTERN,
  patternHint: 'look like cn-hangzhou (lower-case letters, digits and "-")',
};

// Whitespace is ordinary tag text (the ECS tag rules do not forbid it) and is never trimmed, because
// trimming would change which tag gets removed; only the empty key is refused.
const tagSchema = z.strictObject(
  {
    key: text('key', { min: 1, max: 128, tagContent: true }),
    value: z
      .string({
        error: (iss) =>
          iss.input === null
            ? 'value must be a string; to remove the key whatever its value, omit value instead of null'
            : `value must be a string; got ${describe(iss.input)}`,
      })
      .superRefine((s, ctx) => {
        for (const message of textProblems('value', s, { min: 0, max: 128, tagContent: true })) {
          ctx.addIssue({ code: 'custom', message });
        }
      })
      .optional(),
  },
  { error: objectError('tag') },
);

const resourceTypeList = RESOURCE_TYPES.join(', ');

/** One resource entry; entries are checked one by one so a bad one is rejected alone. */
export const entrySchema = z.strictObject(
  {
    resourceType: z.enum(RESOURCE_TYPES, {
      error: (iss) =>
        iss.input === undefined
          ? `resourceType is required; one of ${resourceTypeList} (lower case)`
          : `resourceType must be one of ${resourceTypeList} (lower case); got ${describe(iss.input)}`,
    }),
    resourceId: text('resourceId', {
      min: 1,
      max: 128,
      pattern: RESOURCE_ID_PATTERN,
      patternHint: 'start with a letter or digit and contain only letters, digits, ".", "_", ":" and "-"',
    }),
    regionId: text('regionId', regionRules).optional(),
    // Check the count before the elements, so a million-tag entry costs one comparison, not a million parses.
    tags: z
      .array(z.unknown(), {
        error: (iss) =>
          iss.input === undefined
            ? 'tags is required; list at least one {key, value?} tag'
            : `tags must be an array of {key, value?} objects; got ${describe(iss.input)}`,
      })
      .superRefine((tags, ctx) => {
        if (tags.length === 0) ctx.addIssue({ code: 'custom', message: 'tags must list at least one tag' });
        if (tags.length > MAX_TAGS_PER_ENTRY) {
          ctx.addIssue({
            code: 'custom',
            message: `tags must list at most ${MAX_TAGS_PER_ENTRY} tags; got ${tags.length}`,
          });
        }
      })
      .pipe(z.array(tagSchema)),
  },
  { error: objectError('entry') },
);

const continuationSchema = z.strictObject(
  {
    attempt: positiveInteger('continuation.attempt'),
    sourceMessageId: z
      .string({ error: (iss) => `continuation.sourceMessageId must be a string; got ${describe(iss.input)}` })
      .optional(),
    lastError: z
      .strictObject(
        {
          code: z.string({
            error: (iss) => `continuation.lastError.code must be a string; got ${describe(iss.input)}`,
          }),
          message: z.string({
            error: (iss) => `continuation.lastError.message must be a string; got ${describe(iss.input)}`,
          }),
        },
        { error: objectError('continuation.lastError') },
      )
      .optional(),
  },
  { error: objectError('continuation') },
);

// A sweep's policy name follows the policy file's rule; a CloudEvent id is any non-empty string (CloudEvents 1.0).
const POLICY_NAME_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;
const SHA256_HEX_PATTERN = /^[0-9a-f]{64}$/;
const MAX_ORIGIN_EVENT_IDS = 10_000;

const originSchema = z.discriminatedUnion(
  'kind',
  [
    z.strictObject({
      kind: z.literal('sweep'),
      policy: z.string().regex(POLICY_NAME_PATTERN, 'origin.policy must be 1-64 of letters, digits, ".", "_", "-"'),
      policySha256: z.string().regex(SHA256_HEX_PATTERN, 'origin.policySha256 must be 64 lower-case hex digits'),
    }),
    z.strictObject({
      kind: z.literal('event'),
      eventIds: z
        .array(z.string().min(1, 'origin.eventIds must not hold an empty id').max(256))
        .min(1, 'origin.eventIds must not be empty')
        .max(MAX_ORIGIN_EVENT_IDS),
    }),
  ],
  { error: () => 'origin.kind must be "sweep" or "event"' },
);

const partSchema = z
  .strictObject(
    { index: positiveInteger('part.index'), count: positiveInteger('part.count') },
    { error: objectError('part') },
  )
  .superRefine((part, ctx) => {
    if (part.index > part.count) {
      ctx.addIssue({
        code: 'custom',
        path: ['index'],
        message: `part.index (${part.index}) must not exceed part.count (${part.count})`,
      });
    }
  });

/** The manifest's top level; `resources` holds unchecked values, read later with {@link entrySchema}. */
export const topSchema = z.strictObject(
  {
    // The version alone is checked first (see parseManifest); here it only has to be present.
    version: z.unknown(),
    manifestId: text('manifestId', {
      min: 1,
      max: 128,
      pattern: MANIFEST_ID_PATTERN,
      patternHint: 'contain only letters, digits, ".", "_", ":" and "-"',
    }),
    regionId: text('regionId', regionRules),
    dryRun: z.boolean({ error: (iss) => `dryRun must be true or false; got ${describe(iss.input)}` }).optional(),
    // Entries are validated one by one afterwards, so one bad entry does not sink the manifest.
    resources: z.array(z.unknown(), {
      error: (iss) =>
        iss.input === undefined
          ? 'resources is required; list the resources to clean up'
          : `resources must be an array; got ${describe(iss.input)}`,
    }),
    continuation: continuationSchema.optional(),
    origin: originSchema.optional(),
    part: partSchema.optional(),
  },
  { error: objectError('manifest') },
);

/** The fields each strict object of the top level accepts. */
export const topAllowed: AllowedFields = (path) => {
  if (path[0] === 'continuation') return path[1] === 'lastError' ? LAST_ERROR_FIELDS : CONTINUATION_FIELDS;
  if (path[0] === 'part') return PART_FIELDS;
  if (path[0] === 'origin') return ORIGIN_FIELDS;
  return TOP_FIELDS;
};

/** The fields each strict object of an entry accepts. */
export const entryAllowed: AllowedFields = (path) => (path[0] === 'tags' ? TAG_FIELDS : ENTRY_FIELDS);
