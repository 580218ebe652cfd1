/** The wire form of a manifest: what the CLI enqueues and the Lambda re-enqueues, read back by the parser. */
import {
  type ContinuationInfo,
  MANIFEST_VERSION,
  type ManifestOrigin,
  type ResourceType,
  type TagSpec,
} from './types.ts';

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
  readonly origin?: ManifestOrigin;
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
  origin?: ManifestOrigin;
  part?: { index: number; count: number };
}

/** A copy of a continuation that carries only the fields that are set. */
export function toContinuation(c: {
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
    ...(manifest.origin === undefined ? {} : { origin: manifest.origin }),
    ...(manifest.part === undefined ? {} : { part: { index: manifest.part.index, count: manifest.part.count } }),
  };
}
