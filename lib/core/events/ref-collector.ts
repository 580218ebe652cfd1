import { isValidResourceId } from '../manifest/schema.ts';
import type { ResourceType } from '../manifest/types.ts';
import { toResourceType } from './resource-type.ts';
import { IGNORED, type IgnoredResolution, type ResourceRef, type ResourcesResolution } from './types.ts';

// Same rule as the manifest's regionId: the region becomes part of the endpoint host name, so it must be strict.
const REGION_ID_PATTERN = /^[a-z]{2}(-[a-z0-9]+)+$/;
const MAX_REGION_ID_LENGTH = 64;

/** A region id safe to put in an endpoint host name, or undefined. */
export function validRegion(value: unknown): string | undefined {
  return typeof value === 'string' && value.length <= MAX_REGION_ID_LENGTH && REGION_ID_PATTERN.test(value)
    ? value
    : undefined;
}

/** The key one resource is known by in a batch: region, type and id. */
export function refKey(ref: ResourceRef): string {
  return `${ref.regionId}/${ref.resourceType}/${ref.resourceId}`;
}

/** Who and what an event is, for the resolution built from it. */
export interface EventIdentity {
  readonly eventId: string;
  readonly source: string;
  readonly principalId?: string;
}

/**
 * Gathers the resources one event names, keeping each once, and remembers why candidates were left out,
 * so an event that names nothing usable is ignored with the most telling reason.
 */
export class RefCollector {
  readonly #refs = new Map<string, ResourceRef>();
  #sawUnsupportedType = false;
  #sawMissingRegion = false;

  /** Adds one candidate; `type` is an event's type name (`ACS::ECS::Disk`) or a RemoveTags type. */
  add(type: string | ResourceType, resourceId: string, regionId: string | undefined): void {
    const resourceType = toResourceType(type);
    if (resourceType === undefined) {
      this.#sawUnsupportedType = true;
      return;
    }
    // Masked or malformed ids (`i-bp1****`) could never be listed, so they are not candidates at all.
    if (!isValidResourceId(resourceId)) return;
    if (regionId === undefined) {
      this.#sawMissingRegion = true;
      return;
    }
    const ref = { regionId, resourceType, resourceId };
    this.#refs.set(refKey(ref), ref);
  }

  /** The event's resolution: its resources, or the reason it names none. */
  finish(identity: EventIdentity): ResourcesResolution | IgnoredResolution {
    const { eventId, source } = identity;
    if (this.#refs.size > 0) {
      return {
        kind: 'resources',
        refs: [...this.#refs.values()],
        eventId,
        source,
        ...(identity.principalId !== undefined && { principalId: identity.principalId }),
      };
    }
    const reason = this.#sawMissingRegion
      ? IGNORED.missingRegion
      : this.#sawUnsupportedType
        ? IGNORED.unsupportedResourceType
        : IGNORED.noResources;
    return { kind: 'ignored', reason, eventId, source };
  }
}
