// Dev tooling only: a CloudEvent for local runs, the end-to-end test and the event-latency bench.
import type { ResourceType } from '../../lib/core/manifest/types.ts';

// ActionTrail's resource type names (the `referencedResources` keys).
const ACS_TYPES: Record<ResourceType, string> = {
  instance: 'ACS::ECS::Instance',
  disk: 'ACS::ECS::Disk',
  snapshot: 'ACS::ECS::Snapshot',
  image: 'ACS::ECS::Image',
  securitygroup: 'ACS::ECS::SecurityGroup',
};

/** What {@link addTagsEvent} names. */
export interface AddTagsEventSpec {
  readonly id: string;
  readonly regionId: string;
  readonly resourceType: ResourceType;
  readonly resourceId: string;
  /** Who made the call (`data.userIdentity.principalId`). */
  readonly principalId: string;
}

/** An ActionTrail record of an AddTags API call putting `tmp` on one resource, as EventBridge delivers it. */
export function addTagsEvent(spec: AddTagsEventSpec): Record<string, unknown> {
  return {
    specversion: '1.0',
    id: spec.id,
    source: 'acs.ecs',
    type: 'ecs:ActionTrail:ApiCall',
    aliyunregionid: spec.regionId,
    data: {
      eventName: 'AddTags',
      requestParameters: {
        RegionId: spec.regionId,
        ResourceType: spec.resourceType,
        ResourceId: spec.resourceId,
        'Tag.1.Key': 'tmp',
      },
      referencedResources: { [ACS_TYPES[spec.resourceType]]: [spec.resourceId] },
      userIdentity: { type: 'ram-user', principalId: spec.principalId },
    },
  };
}
