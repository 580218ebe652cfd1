import type {
  CallOptions,
  DescribeTagsPage,
  DescribeTagsRequest,
  InventoryClient,
  ListTagResourcesPage,
  ListTagResourcesRequest,
  RemoveTagsClient,
  RemoveTagsRequest,
  RemoveTagsResult,
} from '../core/ports.ts';
import { readDescribeTagsPage, readListTagResourcesPage } from './inventory-responses.ts';
import { RpcTransport, type RpcTransportOptions } from './rpc-transport.ts';

export { parseResponse, regionalEndpoint } from './rpc-transport.ts';

/** How to reach ECS: endpoint override, credentials, timeouts (see {@link RpcTransportOptions}). */
export type EcsClientOptions = RpcTransportOptions;

/**
 * The ECS adapter: RemoveTags for the pipeline, DescribeTags and ListTagResources for sweeps and events,
 * all over one signed transport and one pool of keep-alive sockets.
 */
export class EcsClient implements RemoveTagsClient, InventoryClient {
  readonly #transport: RpcTransport;

  constructor(options: EcsClientOptions) {
    this.#transport = new RpcTransport(options);
  }

  async removeTags(request: RemoveTagsRequest, options: CallOptions = {}): Promise<RemoveTagsResult> {
    const params: Record<string, string> = {
      RegionId: request.regionId,
      ResourceType: request.resourceType,
      ResourceId: request.resourceId,
    };
    request.tags.forEach((tag, i) => {
      params[`Tag.${i + 1}.Key`] = tag.key;
      if (tag.value !== undefined) params[`Tag.${i + 1}.Value`] = tag.value;
    });
    const response = await this.#transport.call('RemoveTags', params, options);
    return { requestId: response.requestId };
  }

  async describeTags(request: DescribeTagsRequest, options: CallOptions = {}): Promise<DescribeTagsPage> {
    const params = {
      RegionId: request.regionId,
      PageNumber: String(request.pageNumber),
      PageSize: String(request.pageSize),
    };
    return readDescribeTagsPage(await this.#transport.call('DescribeTags', params, options));
  }

  async listTagResources(request: ListTagResourcesRequest, options: CallOptions = {}): Promise<ListTagResourcesPage> {
    const params: Record<string, string> = { RegionId: request.regionId, ResourceType: request.resourceType };
    request.resourceIds?.forEach((id, i) => {
      params[`ResourceId.${i + 1}`] = id;
    });
    request.tags?.forEach((tag, i) => {
      params[`Tag.${i + 1}.Key`] = tag.key;
      if (tag.value !== undefined) params[`Tag.${i + 1}.Value`] = tag.value;
    });
    if (request.nextToken !== undefined) params.NextToken = request.nextToken;
    return readListTagResourcesPage(
      await this.#transport.call('ListTagResources', params, options),
      request.resourceType,
    );
  }

  /** Closes idle keep-alive sockets so the process can exit. */
  close(): void {
    this.#transport.close();
  }
}
