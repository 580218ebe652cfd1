/** The manifest's shapes and limits: what a parsed manifest holds, and the caps the parser enforces. */
import type { ValidationIssue } from '../errors.ts';

/** The five resource types RemoveTags accepts; lower case only, per the API spec. */
export const RESOURCE_TYPES = ['image', 'instance', 'snapshot', 'disk', 'securitygroup'] as const;
/** One of {@link RESOURCE_TYPES}. */
export type ResourceType = (typeof RESOURCE_TYPES)[number];

/** The only wire version this build reads. */
export const MANIFEST_VERSION = 1;
/** Default cap on `resources.length`; a bigger manifest must be split. */
export const DEFAULT_MAX_RESOURCES = 10_000;
/** Cap on the tags one entry may list. */
export const MAX_TAGS_PER_ENTRY = 1000;

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

/**
 * Who made a manifest, so every outcome can be traced back: a sweep names its policy file (and its hash),
 * the event adapter the CloudEvent ids. Hand-written manifests have none. It survives hand-offs and splits.
 */
export type ManifestOrigin =
  | { readonly kind: 'sweep'; readonly policy: string; readonly policySha256: string }
  | { readonly kind: 'event'; readonly eventIds: readonly string[] };

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
  readonly origin?: ManifestOrigin;
  /** Set when a large manifest was split into several messages. */
  readonly part?: { readonly index: number; readonly count: number };
}
