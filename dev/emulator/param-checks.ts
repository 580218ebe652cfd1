import { RESOURCE_TYPES, type ResourceType } from '../../lib/core/manifest/types.ts';
import { type EcsErrorAnswer, ecsError } from './ecs-error.ts';

const RESOURCE_TYPE_SET: ReadonlySet<string> = new Set(RESOURCE_TYPES);

/** Whether `value` is a resource type the emulator holds; exact match, as ECS wants the lower-case names. */
export function isResourceType(value: string): value is ResourceType {
  return RESOURCE_TYPE_SET.has(value);
}

/** The error for a region ECS does not have. */
export function unknownRegion(): EcsErrorAnswer {
  return ecsError('InvalidRegionId.NotFound', 404, 'The specified RegionId does not exist.');
}

/** The error for a resource type ECS does not know (`Instance` included: the names are lower case). */
export function unknownResourceType(): EcsErrorAnswer {
  return ecsError('InvalidResourceType.NotFound', 404, 'The ResourceType provided does not exist in our records.');
}

/** The error for a parameter whose value is out of range or malformed, naming it. */
export function invalidParameter(name: string, why: string): EcsErrorAnswer {
  return ecsError('InvalidParameter', 400, `The specified parameter "${name}" is not valid: ${why}.`);
}
