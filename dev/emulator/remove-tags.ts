import { isSystemTagKey, MAX_TAGS_PER_CALL } from '../../lib/core/ecs-api.ts';
import type { RemoveTagsRequest } from '../../lib/core/ports.ts';
import type { ActionCall, ActionResult } from './actions.ts';
import { type EcsErrorAnswer, ecsError, missingParameter, type OrEcsError } from './ecs-error.ts';
import type { Inventory, TagToRemove } from './inventory.ts';
import { isResourceType, unknownRegion, unknownResourceType } from './param-checks.ts';
import type { CallParams } from './read-params.ts';
import { readTagParams, tooManyTags } from './tag-params.ts';

/** The validated call (the same request the product's client sends), or the ECS error to answer with. */
export type RemoveTagsValidation =
  | { readonly ok: true; readonly request: RemoveTagsRequest }
  | { readonly ok: false; readonly error: EcsErrorAnswer };

/**
 * RemoveTags: validates the call, removes the tags that match, records the call for the stats and
 * answers `{RequestId}`. An `applyThen500` call is applied and recorded with status 500.
 */
export function removeTagsAction(call: ActionCall): ActionResult {
  const { ctx, params, requestId } = call;
  const checked = validateRemoveTags(params, ctx.knownRegions, ctx.inventory);
  if (!checked.ok) return checked;
  const { regionId, resourceType, resourceId, tags } = checked.request;
  const removedKeys = ctx.inventory.removeTags(regionId, resourceType, resourceId, tags);
  const httpStatus = call.lostResponse ? 500 : 200;
  ctx.stats.applied({ requestId, regionId, resourceType, resourceId, tags, removedKeys, httpStatus, atMs: ctx.now() });
  ctx.logger.debug(
    { requestId, regionId, resourceType, resourceId, removed: removedKeys.length },
    'emulator removed tags',
  );
  return { ok: true, body: { RequestId: requestId } };
}

/**
 * Validates RemoveTags parameters in the order ECS reports problems: required parameters, region,
 * resource type, tags, then the resource itself. The version is checked before, for every action.
 */
export function validateRemoveTags(
  params: Readonly<Record<string, string>>,
  knownRegions: ReadonlySet<string>,
  inventory: Inventory,
): RemoveTagsValidation {
  const regionId = params.RegionId;
  if (!regionId) return fail(missingParameter('RegionId'));
  const resourceType = params.ResourceType;
  if (!resourceType) return fail(missingParameter('ResourceType'));
  const resourceId = params.ResourceId;
  if (!resourceId) return fail(missingParameter('ResourceId'));

  if (!knownRegions.has(regionId)) return fail(unknownRegion());
  if (!isResourceType(resourceType)) return fail(unknownResourceType());

  const parsed = parseTags(params);
  if ('error' in parsed) return fail(parsed.error);

  const found = inventory.lookup(regionId, resourceType, resourceId);
  if (found === 'absent') {
    return fail(ecsError('InvalidResourceId.NotFound', 404, 'The specified ResourceId is not found in our records.'));
  }
  if (found === 'unsupported') {
    return fail(ecsError('InvalidResourceId.NotSupported', 403, 'The specified ResourceId does not support tagging.'));
  }
  return { ok: true, request: { regionId, resourceType, resourceId, tags: parsed.tags } };
}

function parseTags(params: CallParams): OrEcsError<{ tags: TagToRemove[] }> {
  const read = readTagParams(params, MAX_TAGS_PER_CALL);
  if ('error' in read) return read;
  if (read.tags.length === 0) return { error: tooManyTags() };
  const tags: TagToRemove[] = [];
  for (const { index, key, value } of read.tags) {
    // System tags (acs:, aliyun) cannot be named in a tag call (ECS doc), so they are never removed.
    if (!key || isSystemTagKey(key)) {
      return { error: ecsError('InvalidTagKey.Malformed', 400, `The specified Tag.${index}.Key is not valid.`) };
    }
    // An absent Tag.n.Value means "any value"; an empty one only matches an empty value.
    tags.push(value === undefined ? { key } : { key, value });
  }
  return { tags };
}

function fail(error: EcsErrorAnswer): RemoveTagsValidation {
  return { ok: false, error };
}
