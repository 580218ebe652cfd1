/** Reads DescribeTags and ListTagResources answers into the port's page shapes, or refuses them. */
import * as z from 'zod';
import { ApiError } from '../core/errors.ts';
import type { ResourceType } from '../core/manifest/types.ts';
import type { DescribeTagsPage, ListTagResourcesPage, TagPairCount } from '../core/ports.ts';
import type { RpcResponse } from './rpc-transport.ts';

// ECS capitalises ResourceTypeCount fields its own way (`Securitygroup`, not `SecurityGroup`).
const COUNT_FIELDS: Readonly<Record<string, ResourceType>> = {
  Instance: 'instance',
  Disk: 'disk',
  Snapshot: 'snapshot',
  Image: 'image',
  Securitygroup: 'securitygroup',
};

const describeTagsSchema = z.object({
  TotalCount: z.number().int().nonnegative(),
  Tags: z.object({
    Tag: z.array(
      z.object({
        TagKey: z.string(),
        TagValue: z.string().optional(),
        ResourceTypeCount: z.record(z.string(), z.number()).optional(),
      }),
    ),
  }),
});

const listTagResourcesSchema = z.object({
  NextToken: z.string().optional(),
  TagResources: z.object({
    TagResource: z.array(
      z.object({
        ResourceType: z.string().optional(),
        ResourceId: z.string(),
        TagKey: z.string(),
        TagValue: z.string().optional(),
      }),
    ),
  }),
});

/** A 2xx answer whose document lacks what the API promises: a listing that failed, never "no tags". */
function malformed(action: string, response: RpcResponse, error: z.ZodError): ApiError {
  const where = error.issues[0]?.path.join('.') || 'document';
  return new ApiError('InvalidResponse', 200, response.requestId, `${action} answer is malformed at ${where}`);
}

/** One DescribeTags page in the port's shape. */
export function readDescribeTagsPage(response: RpcResponse): DescribeTagsPage {
  const parsed = describeTagsSchema.safeParse(response.document);
  if (!parsed.success) throw malformed('DescribeTags', response, parsed.error);
  const pairs: TagPairCount[] = parsed.data.Tags.Tag.map((tag) => {
    const resourceTypeCounts: Partial<Record<ResourceType, number>> = {};
    for (const [field, count] of Object.entries(tag.ResourceTypeCount ?? {})) {
      const type = COUNT_FIELDS[field];
      if (type !== undefined) resourceTypeCounts[type] = count;
    }
    return { key: tag.TagKey, value: tag.TagValue ?? '', resourceTypeCounts };
  });
  return { requestId: response.requestId, totalCount: parsed.data.TotalCount, pairs };
}

/** One ListTagResources page in the port's shape; rows of a type other than the one asked for are dropped. */
export function readListTagResourcesPage(response: RpcResponse, resourceType: ResourceType): ListTagResourcesPage {
  const parsed = listTagResourcesSchema.safeParse(response.document);
  if (!parsed.success) throw malformed('ListTagResources', response, parsed.error);
  const rows = parsed.data.TagResources.TagResource.filter(
    (row) => row.ResourceType === undefined || row.ResourceType.toLowerCase() === resourceType,
  ).map((row) => ({ resourceType, resourceId: row.ResourceId, key: row.TagKey, value: row.TagValue ?? '' }));
  const nextToken = parsed.data.NextToken;
  return { requestId: response.requestId, rows, ...(nextToken ? { nextToken } : {}) };
}
