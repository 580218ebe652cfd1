/** The shape of a validated version-1 tag policy, with every default applied. */
import type { ResourceType } from '../manifest/types.ts';

/** The only policy file version this build reads. */
export const POLICY_VERSION = 1;
/** Default brake: a sweep that would change more resources than this refuses unless forced. */
export const DEFAULT_POLICY_MAX_RESOURCES = 10_000;

/** Removes tags whose key equals `key` exactly (case-sensitive, as Alibaba compares keys). */
export interface RemoveByKey {
  readonly key: string;
  /** Only tags with one of these values; absent means any value. */
  readonly values?: readonly string[];
}

/** Removes tags whose key starts with `keyPrefix`. */
export interface RemoveByPrefix {
  readonly keyPrefix: string;
  readonly values?: readonly string[];
}

/** Removes tags whose key the JavaScript regular expression `keyPattern` matches (unanchored unless written so). */
export interface RemoveByPattern {
  readonly keyPattern: string;
  readonly values?: readonly string[];
}

/** One `remove` entry; a tag is removed when it matches any of them. Narrow with `'key' in rule` and so on. */
export type RemoveRule = RemoveByKey | RemoveByPrefix | RemoveByPattern;

/** A resource carrying this tag (this key, and this value when given) is never changed. */
export interface ProtectRule {
  readonly key: string;
  readonly value?: string;
}

/** A validated policy. Lists keep the file's order. */
export interface Policy {
  readonly version: 1;
  /** 1–64 of `[A-Za-z0-9._-]`; appears in manifest ids and logs. */
  readonly name: string;
  readonly regions: readonly string[];
  /** @default all five resource types RemoveTags accepts */
  readonly resourceTypes: readonly ResourceType[];
  /** @default [] */
  readonly remove: readonly RemoveRule[];
  /** When present, every key not listed here (and not a system or protect key) is removed. */
  readonly keepOnly?: readonly string[];
  /** @default [] */
  readonly protect: readonly ProtectRule[];
  /** @default { resourceIds: [] } */
  readonly exclude: { readonly resourceIds: readonly string[] };
  /** The sweep's brake, counted after protection and exclusion. @default 10000 */
  readonly maxResources: number;
}

/** What {@link parsePolicy} returns: the policy and the hash manifests record in their `origin`. */
export interface ParsedPolicy {
  readonly policy: Policy;
  /** Lower-case hex SHA-256 of the policy text (UTF-8), so a manifest names the exact file that made it. */
  readonly policySha256: string;
}
