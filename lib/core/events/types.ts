/** What the event resolver returns: the ECS resources an event is about, or why it was dropped. */
import type { ResourceType } from '../manifest/types.ts';

/** One ECS resource named by an event, in the shape ListTagResources and RemoveTags take. */
export interface ResourceRef {
  readonly regionId: string;
  readonly resourceType: ResourceType;
  readonly resourceId: string;
}

/** Why an event was dropped and acknowledged; constant strings, logged as the `reason` of `event.ignored`. */
export const IGNORED = {
  /** A CloudEvent type the job does not handle. */
  unsupportedType: 'unsupported-type',
  /** An ActionTrail call that neither creates, tags nor modifies one of the five resource types. */
  unsupportedCall: 'unsupported-call',
  /** An ActionTrail record of a call that failed, so nothing was created or changed. */
  failedCall: 'failed-call',
  /** RemoveTags or UntagResources: the job's own kind of call, which would otherwise feed back. */
  ownCall: 'own-call',
  /** Called by the job's own identity (TAG_CLEANUP_SELF_PRINCIPAL). */
  self: 'self',
  /** The same `source` + `id` was already seen in the batch (EventBridge may deliver twice). */
  duplicate: 'duplicate',
  /** Names resources, but none of a type RemoveTags accepts. */
  unsupportedResourceType: 'unsupported-resource-type',
  /** Names resources, but no region could be found for them. */
  missingRegion: 'missing-region',
  /** A supported event that names no resource id. */
  noResources: 'no-resources',
  /** A supported type whose `data` is not the documented shape. */
  malformedData: 'malformed-data',
} as const;

/** One of the {@link IGNORED} reasons. */
export type IgnoredReason = (typeof IGNORED)[keyof typeof IGNORED];

/** The event names resources that the policy should look at. */
export interface ResourcesResolution {
  readonly kind: 'resources';
  /** Distinct resources, in the order the event names them. */
  readonly refs: readonly ResourceRef[];
  /** The CloudEvent `id`. */
  readonly eventId: string;
  readonly source: string;
  /** `data.userIdentity.principalId` of an ActionTrail record: who made the call. */
  readonly principalId?: string;
}

/** A well-formed CloudEvent the job drops and acknowledges. */
export interface IgnoredResolution {
  readonly kind: 'ignored';
  readonly reason: IgnoredReason;
  readonly eventId: string;
  readonly source: string;
}

/** Input that is not a CloudEvent at all; it belongs in the events DLQ with its reason. */
export interface PoisonResolution {
  readonly kind: 'poison';
  /** Says what is wrong, naming fields but never quoting the input. */
  readonly reason: string;
}

/** The resolver's answer for one queued event. */
export type EventResolution = ResourcesResolution | IgnoredResolution | PoisonResolution;
