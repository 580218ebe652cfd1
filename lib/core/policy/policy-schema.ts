/** The zod schema of a version-1 policy file: strict at every level, defaults applied in {@link toPolicy}. */
import * as z from 'zod';
import type { AllowedFields } from '../manifest/issues.ts';
import { RESOURCE_TYPES } from '../manifest/types.ts';
import { DEFAULT_POLICY_MAX_RESOURCES, type Policy, type RemoveRule } from './policy.ts';
import {
  keyPattern,
  keyPrefix,
  listError,
  mapError,
  policyName,
  policyVersion,
  positiveInteger,
  regionId,
  removableKey,
  resourceId,
  resourceType,
  tagKey,
  tagValue,
  uniqueList,
} from './policy-fields.ts';

const TOP_FIELDS = [
  'version',
  'name',
  'regions',
  'resourceTypes',
  'remove',
  'keepOnly',
  'protect',
  'exclude',
  'maxResources',
] as const;
const MATCHERS = ['key', 'keyPrefix', 'keyPattern'] as const;
const REMOVE_FIELDS = [...MATCHERS, 'values'] as const;
const PROTECT_FIELDS = ['key', 'value'] as const;
const EXCLUDE_FIELDS = ['resourceIds'] as const;

/** The fields each strict object accepts, by its path, for "unknown field" reasons. */
export const policyAllowedFields: AllowedFields = (path) => {
  if (path.length === 0) return TOP_FIELDS;
  if (path[0] === 'remove') return REMOVE_FIELDS;
  if (path[0] === 'protect') return PROTECT_FIELDS;
  return EXCLUDE_FIELDS;
};

// Cross-field checks run only on a map: on anything else the type error says all there is to say.
const isMap = (payload: { readonly value: unknown }) =>
  typeof payload.value === 'object' && payload.value !== null && !Array.isArray(payload.value);

function matcherCountReason(entry: unknown): string {
  const present =
    typeof entry === 'object' && entry !== null ? MATCHERS.filter((m) => Reflect.get(entry, m) !== undefined) : [];
  return present.length === 0
    ? 'needs one of key, keyPrefix or keyPattern'
    : `must have exactly one of key, keyPrefix or keyPattern; got ${present.join(' and ')}`;
}

const removeEntry = z
  .strictObject(
    {
      key: removableKey.optional(),
      keyPrefix: keyPrefix.optional(),
      keyPattern: keyPattern.optional(),
      values: uniqueList(tagValue, 'must list at least one value; leave values out to match any value').optional(),
    },
    { error: mapError },
  )
  // `when` runs the check even while a field has its own issue, so every problem is reported at once.
  .refine((entry) => MATCHERS.filter((m) => entry[m] !== undefined).length === 1, {
    when: isMap,
    error: (iss) => matcherCountReason(iss.input),
  });

const protectEntry = z.strictObject({ key: tagKey, value: tagValue.optional() }, { error: mapError });

const excludeSection = z.strictObject({ resourceIds: uniqueList(resourceId).optional() }, { error: mapError });

/** The whole file. Output still has optional fields; {@link toPolicy} fills in the defaults. */
export const policySchema = z
  .strictObject(
    {
      version: policyVersion,
      name: policyName,
      regions: uniqueList(regionId, 'must list at least one region'),
      resourceTypes: uniqueList(
        resourceType,
        'must list at least one resource type, or be left out for all',
      ).optional(),
      remove: z
        .array(removeEntry, { error: listError })
        .min(1, { error: 'must list at least one entry, or be left out' })
        .optional(),
      // An empty allowlist would strip every tag: a mistake far more often than an intent.
      keepOnly: uniqueList(
        removableKey,
        'must list at least one key; an empty keepOnly would remove every tag',
      ).optional(),
      protect: z.array(protectEntry, { error: listError }).optional(),
      exclude: excludeSection.optional(),
      maxResources: positiveInteger.optional(),
    },
    { error: mapError },
  )
  .refine((p) => p.remove !== undefined || p.keepOnly !== undefined, {
    when: isMap,
    error: 'needs remove, keepOnly or both; without them the policy removes nothing',
  });

type PolicyInput = z.output<typeof policySchema>;

function toRemoveRule(entry: z.output<typeof removeEntry>): RemoveRule {
  const values = entry.values === undefined ? {} : { values: entry.values };
  if (entry.key !== undefined) return { key: entry.key, ...values };
  if (entry.keyPrefix !== undefined) return { keyPrefix: entry.keyPrefix, ...values };
  // The refinement guarantees exactly one matcher, so this is the pattern.
  return { keyPattern: entry.keyPattern ?? '', ...values };
}

/** The validated file with every default applied. */
export function toPolicy(input: PolicyInput): Policy {
  return {
    version: input.version,
    name: input.name,
    regions: input.regions,
    resourceTypes: input.resourceTypes ?? RESOURCE_TYPES,
    remove: (input.remove ?? []).map(toRemoveRule),
    ...(input.keepOnly === undefined ? {} : { keepOnly: input.keepOnly }),
    protect: (input.protect ?? []).map((p) =>
      p.value === undefined ? { key: p.key } : { key: p.key, value: p.value },
    ),
    exclude: { resourceIds: input.exclude?.resourceIds ?? [] },
    maxResources: input.maxResources ?? DEFAULT_POLICY_MAX_RESOURCES,
  };
}
