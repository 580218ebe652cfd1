import { RESOURCE_TYPES, type ResourceType } from '../manifest/types.ts';

// Events name types as `ACS::ECS::Instance` (ActionTrail, Cloud Config) or `ALIYUN::ECS::Instance`
// (state changes); AddTags and TagResources take the lower-case name itself.
const QUALIFIED = /^(?:ACS|ALIYUN)::ECS::([A-Za-z]+)$/i;

/** Maps `ACS::ECS::Disk`, `ALIYUN::ECS::Disk` or `disk` to the RemoveTags type; other types are undefined. */
export function toResourceType(name: string): ResourceType | undefined {
  const bare = (QUALIFIED.exec(name)?.[1] ?? name).toLowerCase();
  return (RESOURCE_TYPES as readonly string[]).includes(bare) ? (bare as ResourceType) : undefined;
}
