/** Reads a manifest from JSON text, bytes or a parsed value: whole-manifest problems throw, bad entries are set aside. */
import type * as z from 'zod';
import { ManifestError, type ValidationIssue } from '../errors.ts';
import { describe } from './describe.ts';
import { capIssues, formatPath, toIssues } from './issues.ts';
import { readJsonText } from './json-text.ts';
import { entryAllowed, entrySchema, topAllowed, topSchema } from './schema.ts';
import {
  DEFAULT_MAX_RESOURCES,
  MANIFEST_VERSION,
  type Manifest,
  type RejectedEntry,
  type ResourceEntry,
  type TagSpec,
} from './types.ts';
import { toContinuation } from './wire.ts';

/** Options of {@link parseManifest}. */
export interface ParseManifestOptions {
  /** Manifest-level cap on `resources.length`; the CLI and the Lambda set it from TAG_CLEANUP_MAX_RESOURCES. @default 10000 */
  readonly maxResources?: number;
}

// A rejected entry keeps its first issues only, so one absurd entry cannot flood an outcome line.
const MAX_ISSUES_PER_ENTRY = 20;
// Same for the manifest as a whole (for example thousands of unknown top-level keys).
const MAX_MANIFEST_ISSUES = 50;

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
  return readJsonText(textBody);
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
  const data = readTop(decodeBody(input), maxResources);
  const { resources, rejected } = readEntries(data.resources, data.regionId);
  return {
    version: MANIFEST_VERSION,
    manifestId: data.manifestId,
    regionId: data.regionId,
    dryRun: data.dryRun ?? false,
    resources,
    rejected,
    ...(data.continuation === undefined ? {} : { continuation: toContinuation(data.continuation) }),
    ...(data.origin === undefined ? {} : { origin: data.origin }),
    ...(data.part === undefined ? {} : { part: { index: data.part.index, count: data.part.count } }),
  };
}

type TopLevel = z.output<typeof topSchema>;

/** The checks on the manifest as a whole; any problem here throws, since nothing else can be read. */
function readTop(body: unknown, maxResources: number): TopLevel {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ManifestError([{ path: '', reason: `manifest must be a JSON object; got ${describe(body)}` }]);
  }
  checkVersion(body);
  const top = topSchema.safeParse(body);
  const issues = top.success ? [] : toIssues(top.error.issues, [], topAllowed);
  const rawResources = Object.hasOwn(body, 'resources') ? (body as Record<string, unknown>).resources : undefined;
  if (Array.isArray(rawResources) && rawResources.length > maxResources) {
    issues.push({
      path: 'resources',
      reason:
        `resources lists ${rawResources.length} entries; the cap is ${maxResources} per manifest ` +
        '(split the manifest, or raise TAG_CLEANUP_MAX_RESOURCES)',
    });
  }
  if (!top.success || issues.length > 0) throw new ManifestError(capIssues(issues, MAX_MANIFEST_ISSUES, ''));
  return top.data;
}

/** The version decides how to read everything else, so a wrong one is the only thing reported. */
function checkVersion(body: object): void {
  const version: unknown = Object.hasOwn(body, 'version') ? (body as Record<string, unknown>).version : undefined;
  if (version === undefined) {
    throw new ManifestError([{ path: 'version', reason: 'version is required; this build reads version 1' }]);
  }
  // A quoted "1" is a common slip in hand-written JSON: say what type is wanted rather than "unsupported".
  if (typeof version !== 'number') {
    const got = typeof version === 'string' ? `the string ${describe(version)}` : describe(version);
    throw new ManifestError([{ path: 'version', reason: `version must be the number 1 (got ${got})` }]);
  }
  if (version !== MANIFEST_VERSION) {
    throw new ManifestError([
      { path: 'version', reason: `unsupported version ${describe(version)}; this build reads version 1` },
    ]);
  }
}

/** Validates entries one by one: a bad entry lands in `rejected` with its own issues, the rest proceed. */
function readEntries(
  raws: readonly unknown[],
  defaultRegionId: string,
): { resources: ResourceEntry[]; rejected: RejectedEntry[] } {
  const resources: ResourceEntry[] = [];
  const rejected: RejectedEntry[] = [];
  const intern = tagInterner();
  raws.forEach((raw, index) => {
    const entry = entrySchema.safeParse(raw);
    if (entry.success) {
      const { resourceType, resourceId, tags } = entry.data;
      resources.push({
        index,
        regionId: entry.data.regionId ?? defaultRegionId,
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
      rejected.push(rejectedEntry(index, raw, defaultRegionId, entryIssues));
    }
  });
  return { resources, rejected };
}
