import * as z from 'zod';
import { ManifestError, type ValidationIssue } from './errors.ts';

// CONTRACT (owned by the manifest helper; other modules rely on these exports as written).

/** The five resource types RemoveTags accepts; lower case only, per the API spec. */
export const RESOURCE_TYPES = ['image', 'instance', 'snapshot', 'disk', 'securitygroup'] as const;
export type ResourceType = (typeof RESOURCE_TYPES)[number];

/** A tag to remove. Without `value` the key goes whatever its value; with it, only a matching tag. */
export interface TagSpec {
  readonly key: string;
  readonly value?: string;
}

/** One valid resource entry of a manifest, with its region resolved (entry override or manifest default). */
export interface ResourceEntry {
  /** Position in the manifest's `resources` array. */
  readonly index: number;
  readonly regionId: string;
  readonly resourceType: ResourceType;
  readonly resourceId: string;
  readonly tags: readonly TagSpec[];
}

/** An entry that failed validation. Whatever identifying fields could be read are kept for the outcome line. */
export interface RejectedEntry {
  readonly index: number;
  readonly regionId?: string;
  readonly resourceType?: string;
  readonly resourceId?: string;
  readonly issues: readonly ValidationIssue[];
}

/** Present on manifests the Lambda handler re-enqueued because work was left unfinished. */
export interface ContinuationInfo {
  /** 1 for the first continuation, and so on. */
  readonly attempt: number;
  /** SQS message id of the message this continuation was cut from. */
  readonly sourceMessageId?: string;
  /** The error that left the work unfinished, for the DLQ once attempts run out. */
  readonly lastError?: { readonly code: string; readonly message: string };
}

/** A validated version-1 manifest. */
export interface Manifest {
  readonly version: 1;
  readonly manifestId: string;
  readonly regionId: string;
  readonly dryRun: boolean;
  /** Valid entries, in input order. */
  readonly resources: readonly ResourceEntry[];
  /** Entries rejected on their own; the rest of the manifest proceeds. */
  readonly rejected: readonly RejectedEntry[];
  readonly continuation?: ContinuationInfo;
  /** Set when a large manifest was split into several messages. */
  readonly part?: { readonly index: number; readonly count: number };
}

export interface ParseManifestOptions {
  /** Manifest-level cap on `resources.length`. @default 10000 */
  readonly maxResources?: number;
}

// IMPLEMENTATION (everything below may grow; the contract above stays as written).

/** The only wire version this build reads. */
export const MANIFEST_VERSION = 1;
/** Default cap on `resources.length`; a bigger manifest must be split. */
export const DEFAULT_MAX_RESOURCES = 10_000;
/** Cap on the tags one entry may list. */
export const MAX_TAGS_PER_ENTRY = 1000;

// A rejected entry keeps its first issues only, so one absurd entry cannot flood an outcome line.
const MAX_ISSUES_PER_ENTRY = 20;
// Same for the manifest as a whole (for example thousands of unknown top-level keys).
const MAX_MANIFEST_ISSUES = 50;

const TOP_FIELDS = ['version', 'manifestId', 'regionId', 'dryRun', 'resources', 'continuation', 'part'] as const;
const ENTRY_FIELDS = ['resourceType', 'resourceId', 'regionId', 'tags'] as const;
const TAG_FIELDS = ['key', 'value'] as const;
const CONTINUATION_FIELDS = ['attempt', 'sourceMessageId', 'lastError'] as const;
const LAST_ERROR_FIELDS = ['code', 'message'] as const;
const PART_FIELDS = ['index', 'count'] as const;

const RESOURCE_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]*$/;
// The region becomes part of the endpoint host name (ecs.<region>.aliyuncs.com), so it must be strict.
const REGION_ID_PATTERN = /^[a-z]{2}(-[a-z0-9]+)+$/;
const MANIFEST_ID_PATTERN = /^[A-Za-z0-9._:-]+$/;
// Tag rules from the ECS tag docs: reserved prefixes and no URLs, for keys and values alike.
const RESERVED_TAG_PREFIXES = ['aliyun', 'acs:'] as const;
const URL_MARKERS = ['http://', 'https://'] as const;
// With the u flag a paired surrogate reads as one astral code point, so only unpaired halves match.
const LONE_SURROGATE = /\p{Cs}/u;

/** True for a resource id the planner can use as an identity: 1–128 chars of `[A-Za-z0-9._:-]`, alphanumeric first. */
export function isValidResourceId(value: unknown): value is string {
  return typeof value === 'string' && RESOURCE_ID_PATTERN.test(value) && codePointLength(value, 129) <= 128;
}

/** True for a region id safe to put in a host name, such as `cn-hangzhou` (at most 64 chars). */
export function isValidRegionId(value: unknown): value is string {
  return typeof value === 'string' && value.length <= 64 && REGION_ID_PATTERN.test(value);
}

/** Length in Unicode code points (what users and the tag service count), stopping early past `stopAfter`. */
function codePointLength(s: string, stopAfter = Number.POSITIVE_INFINITY): number {
  // A UTF-16 string has at least length/2 code points; skip the walk when that already exceeds the bound.
  if (s.length / 2 > stopAfter) return Math.ceil(s.length / 2);
  let n = 0;
  for (const _ of s) {
    n += 1;
    if (n > stopAfter) break;
  }
  return n;
}

function firstCodePoints(s: string, count: number): string {
  let out = '';
  let n = 0;
  for (const c of s) {
    if (n === count) break;
    out += c;
    n += 1;
  }
  return out;
}

/** Short, safe rendering of any value for a message: never throws (BigInt, symbols, null prototypes). */
function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  switch (typeof value) {
    case 'string': {
      return JSON.stringify(codePointLength(value, 40) > 40 ? `${firstCodePoints(value, 40)}…` : value);
    }
    case 'number':
    case 'boolean':
      return String(value);
    case 'bigint':
      return `${value.toString()}n`;
    case 'undefined':
      return 'nothing';
    case 'object':
      return 'an object';
    default:
      return `a ${typeof value}`;
  }
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
    const prefix = RESERVED_TAG_PREFIXES.find((p) => s.startsWith(p));
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

const entrySchema = z.strictObject(
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

const topSchema = z.strictObject(
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
    part: partSchema.optional(),
  },
  { error: objectError('manifest') },
);

/** Renders a zod path as `resources[3].tags[0].key`; odd keys are quoted so the path stays unambiguous. */
export function formatPath(segments: readonly PropertyKey[]): string {
  let out = '';
  for (const segment of segments) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (typeof segment === 'string' && /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(segment)) {
      out += out === '' ? segment : `.${segment}`;
    } else out += `[${JSON.stringify(String(segment))}]`;
  }
  return out;
}

/** The fields a strict object at this path accepts, for the "unknown field" message. */
type AllowedFields = (path: readonly PropertyKey[]) => readonly string[];

const topAllowed: AllowedFields = (path) => {
  if (path[0] === 'continuation') return path[1] === 'lastError' ? LAST_ERROR_FIELDS : CONTINUATION_FIELDS;
  if (path[0] === 'part') return PART_FIELDS;
  return TOP_FIELDS;
};

const entryAllowed: AllowedFields = (path) => (path[0] === 'tags' ? TAG_FIELDS : ENTRY_FIELDS);

function unknownFieldReason(name: string, allowed: readonly string[]): string {
  // A near miss such as "dryrun" or "Value" gets a hint, because it would otherwise be silently dropped intent.
  const near = allowed.find((a) => a.toLowerCase() === name.toLowerCase());
  const hint = near ? ` (did you mean "${near}"? names are case-sensitive)` : '';
  return `unknown field${hint}; allowed fields are ${allowed.join(', ')}`;
}

/** Maps zod issues to ours, one per unknown key, with paths rendered under `prefix`. */
function toIssues(
  issues: readonly z.core.$ZodIssue[],
  prefix: readonly PropertyKey[],
  allowed: AllowedFields,
): ValidationIssue[] {
  const out: ValidationIssue[] = [];
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        out.push({
          path: formatPath([...prefix, ...issue.path, key]),
          reason: unknownFieldReason(key, allowed(issue.path)),
        });
      }
    } else {
      out.push({ path: formatPath([...prefix, ...issue.path]), reason: issue.message || `invalid (${issue.code})` });
    }
  }
  return out;
}

function capIssues(issues: ValidationIssue[], max: number, path: string): ValidationIssue[] {
  if (issues.length <= max) return issues;
  return [...issues.slice(0, max), { path, reason: `and ${issues.length - max} more problems not listed` }];
}

/** Turns a body (JSON text or bytes) into a value; anything else is taken as already parsed. */
function decodeBody(input: unknown): unknown {
  let textBody: string;
  if (typeof input === 'string') {
    textBody = input;
  } else if (input instanceof Uint8Array || input instanceof ArrayBuffer) {
    try {
      // fatal: a body with broken UTF-8 is refused rather than silently patched with U+FFFD.
      textBody = new TextDecoder('utf-8', { fatal: true }).decode(input);
    } catch (error) {
      throw new ManifestError([{ path: '', reason: 'body is not valid UTF-8' }], { cause: error });
    }
  } else {
    return input;
  }
  if (textBody.charCodeAt(0) === 0xfeff) textBody = textBody.slice(1);
  if (textBody.trim() === '') throw new ManifestError([{ path: '', reason: 'body is empty; expected a JSON object' }]);
  try {
    return JSON.parse(textBody);
  } catch (error) {
    const detail = error instanceof Error ? error.message : 'parse failed';
    const short = detail.length > 160 ? `${detail.slice(0, 160)}…` : detail;
    throw new ManifestError([{ path: '', reason: `body is not valid JSON: ${short}` }], { cause: error });
  }
}

function ownString(record: object, key: string): string | undefined {
  if (!Object.hasOwn(record, key)) return undefined;
  const value: unknown = (record as Record<string, unknown>)[key];
  return typeof value === 'string' ? value : undefined;
}

/** The identifying fields a rejected entry still offers, for its outcome line. */
function rejectedEntry(index: number, raw: unknown, defaultRegionId: string, issues: ValidationIssue[]): RejectedEntry {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { index, issues };
  // No regionId means the manifest's; a non-string one leaves the region unknown.
  const regionId = Object.hasOwn(raw, 'regionId') ? ownString(raw, 'regionId') : defaultRegionId;
  const resourceType = ownString(raw, 'resourceType');
  const resourceId = ownString(raw, 'resourceId');
  return {
    index,
    ...(regionId === undefined ? {} : { regionId }),
    ...(resourceType === undefined ? {} : { resourceType }),
    ...(resourceId === undefined ? {} : { resourceId }),
    issues,
  };
}

/**
 * One frozen TagSpec per distinct (key, value) in a manifest. Sweeps repeat the same few tags across
 * thousands of resources, so sharing them keeps a 100 000-resource manifest in tens of MiB, not hundreds.
 */
function tagInterner(): (tag: { key: string; value?: string | undefined }) => TagSpec {
  const seen = new Map<string, TagSpec>();
  return (tag) => {
    // The value's length prefix makes the id unambiguous whatever characters keys and values hold.
    const id = tag.value === undefined ? `k${tag.key}` : `v${tag.value.length}:${tag.value}${tag.key}`;
    let spec = seen.get(id);
    if (spec === undefined) {
      spec = Object.freeze(tag.value === undefined ? { key: tag.key } : { key: tag.key, value: tag.value });
      seen.set(id, spec);
    }
    return spec;
  };
}

/**
 * Reads a version-1 manifest from JSON text, bytes, or an already-parsed value.
 * Manifest-level problems throw {@link ManifestError}; a bad entry only lands in `rejected`.
 */
export function parseManifest(input: unknown, options: ParseManifestOptions = {}): Manifest {
  const maxResources = options.maxResources ?? DEFAULT_MAX_RESOURCES;
  // A bad cap is a caller bug, not a bad manifest, so it is not a ManifestError.
  if (!Number.isSafeInteger(maxResources) || maxResources < 1) {
    throw new RangeError(`maxResources must be a positive integer; got ${maxResources}`);
  }
  const body = decodeBody(input);

  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ManifestError([{ path: '', reason: `manifest must be a JSON object; got ${describe(body)}` }]);
  }
  // The version decides how to read everything else, so a wrong one is the only thing reported.
  const version: unknown = Object.hasOwn(body, 'version') ? (body as Record<string, unknown>).version : undefined;
  if (version === undefined) {
    throw new ManifestError([{ path: 'version', reason: 'version is required; this build reads version 1' }]);
  }
  if (version !== MANIFEST_VERSION) {
    throw new ManifestError([
      { path: 'version', reason: `unsupported version ${describe(version)}; this build reads version 1` },
    ]);
  }

  const top = topSchema.safeParse(body);
  const issues = top.success ? [] : toIssues(top.error.issues, [], topAllowed);
  const rawResources = Object.hasOwn(body, 'resources') ? (body as Record<string, unknown>).resources : undefined;
  if (Array.isArray(rawResources) && rawResources.length > maxResources) {
    issues.push({
      path: 'resources',
      reason: `resources lists ${rawResources.length} entries; the cap is ${maxResources} per manifest (split it)`,
    });
  }
  if (!top.success || issues.length > 0) throw new ManifestError(capIssues(issues, MAX_MANIFEST_ISSUES, ''));

  const data = top.data;
  const resources: ResourceEntry[] = [];
  const rejected: RejectedEntry[] = [];
  const intern = tagInterner();
  data.resources.forEach((raw, index) => {
    const entry = entrySchema.safeParse(raw);
    if (entry.success) {
      const { resourceType, resourceId, tags } = entry.data;
      resources.push({
        index,
        regionId: entry.data.regionId ?? data.regionId,
        resourceType,
        resourceId,
        tags: tags.map(intern),
      });
    } else {
      const prefix = ['resources', index] as const;
      const entryIssues = capIssues(
        toIssues(entry.error.issues, prefix, entryAllowed),
        MAX_ISSUES_PER_ENTRY,
        formatPath(prefix),
      );
      rejected.push(rejectedEntry(index, raw, data.regionId, entryIssues));
    }
  });

  return {
    version: MANIFEST_VERSION,
    manifestId: data.manifestId,
    regionId: data.regionId,
    dryRun: data.dryRun ?? false,
    resources,
    rejected,
    ...(data.continuation === undefined ? {} : { continuation: toContinuation(data.continuation) }),
    ...(data.part === undefined ? {} : { part: { index: data.part.index, count: data.part.count } }),
  };
}

function toContinuation(c: {
  attempt: number;
  sourceMessageId?: string | undefined;
  lastError?: { code: string; message: string } | undefined;
}): ContinuationInfo {
  return {
    attempt: c.attempt,
    ...(c.sourceMessageId === undefined ? {} : { sourceMessageId: c.sourceMessageId }),
    ...(c.lastError === undefined ? {} : { lastError: { code: c.lastError.code, message: c.lastError.message } }),
  };
}

/** What {@link serializeManifest} needs: a {@link Manifest}, or planned resources for a continuation or split. */
export interface ManifestDraft {
  readonly manifestId: string;
  readonly regionId: string;
  readonly dryRun: boolean;
  readonly resources: readonly {
    readonly regionId: string;
    readonly resourceType: ResourceType;
    readonly resourceId: string;
    readonly tags: readonly TagSpec[];
  }[];
  readonly continuation?: ContinuationInfo;
  readonly part?: { readonly index: number; readonly count: number };
}

/** One entry as it travels on the wire. */
export interface WireEntry {
  resourceType: ResourceType;
  resourceId: string;
  regionId?: string;
  tags: { key: string; value?: string }[];
}

/** A version-1 manifest as it travels on the wire (JSON.stringify it to send). */
export interface WireManifest {
  version: 1;
  manifestId: string;
  regionId: string;
  dryRun: boolean;
  resources: WireEntry[];
  continuation?: ContinuationInfo;
  part?: { index: number; count: number };
}

/**
 * Builds the wire form of a manifest so that `parseManifest(serializeManifest(x))` reads `x` back.
 * Rejected entries are not carried; an entry's region is written only when it differs from the manifest's.
 */
export function serializeManifest(manifest: ManifestDraft): WireManifest {
  return {
    version: MANIFEST_VERSION,
    manifestId: manifest.manifestId,
    regionId: manifest.regionId,
    dryRun: manifest.dryRun,
    resources: manifest.resources.map((r) => ({
      resourceType: r.resourceType,
      resourceId: r.resourceId,
      ...(r.regionId === manifest.regionId ? {} : { regionId: r.regionId }),
      tags: r.tags.map((t) => (t.value === undefined ? { key: t.key } : { key: t.key, value: t.value })),
    })),
    ...(manifest.continuation === undefined ? {} : { continuation: toContinuation(manifest.continuation) }),
    ...(manifest.part === undefined ? {} : { part: { index: manifest.part.index, count: manifest.part.count } }),
  };
}
