import { randomUUID } from 'node:crypto';
import { EMULATOR_ACCESS_KEY_ID, EMULATOR_ACCESS_KEY_SECRET } from '../../dev/emulator/defaults.ts';
import { type EmulatorOptions, loadInventory, type RunningEmulator, startEmulator } from '../../dev/emulator/server.ts';
import { canonicalQuery, formatTimestamp, percentEncode, signParams } from '../../lib/alibaba/sign.ts';
import { ECS_API_VERSION } from '../../lib/core/ecs-api.ts';

/** The example inventory the emulator tests and the demo share. */
export const EXAMPLE_INVENTORY_URL = new URL('../../examples/inventory.json', import.meta.url);

/** Starts an emulator on 127.0.0.1:0 seeded with the example inventory unless `inventory` is given. */
export async function startTestEmulator(options: Partial<EmulatorOptions> = {}): Promise<RunningEmulator> {
  const inventory = options.inventory ?? (await loadInventory(EXAMPLE_INVENTORY_URL));
  return startEmulator({ ...options, inventory });
}

/** A tag for the parameter builders; no value means key-only removal, or "any value" in a filter. */
export interface TestTag {
  readonly key: string;
  readonly value?: string;
}

/** The API parameters of one RemoveTags call (no common or signature parameters). */
export function removeTagsParams(
  regionId: string,
  resourceType: string,
  resourceId: string,
  tags: readonly TestTag[],
): Record<string, string> {
  return {
    Action: 'RemoveTags',
    RegionId: regionId,
    ResourceType: resourceType,
    ResourceId: resourceId,
    ...tagParams(tags),
  };
}

/** The API parameters of one DescribeTags call; only the parameters given are sent. */
export function describeTagsParams(
  regionId: string,
  more: {
    resourceType?: string;
    resourceId?: string;
    tags?: readonly TestTag[];
    pageNumber?: number;
    pageSize?: number;
  } = {},
): Record<string, string> {
  return {
    Action: 'DescribeTags',
    RegionId: regionId,
    ...(more.resourceType === undefined ? {} : { ResourceType: more.resourceType }),
    ...(more.resourceId === undefined ? {} : { ResourceId: more.resourceId }),
    ...(more.pageNumber === undefined ? {} : { PageNumber: String(more.pageNumber) }),
    ...(more.pageSize === undefined ? {} : { PageSize: String(more.pageSize) }),
    ...tagParams(more.tags ?? []),
  };
}

/** The API parameters of one ListTagResources call; only the parameters given are sent. */
export function listTagResourcesParams(
  regionId: string,
  resourceType: string,
  more: { resourceIds?: readonly string[]; tags?: readonly TestTag[]; nextToken?: string } = {},
): Record<string, string> {
  const params: Record<string, string> = {
    Action: 'ListTagResources',
    RegionId: regionId,
    ResourceType: resourceType,
    ...tagParams(more.tags ?? []),
  };
  (more.resourceIds ?? []).forEach((id, i) => {
    params[`ResourceId.${i + 1}`] = id;
  });
  if (more.nextToken !== undefined) params.NextToken = more.nextToken;
  return params;
}

function tagParams(tags: readonly TestTag[]): Record<string, string> {
  const params: Record<string, string> = {};
  tags.forEach((tag, i) => {
    params[`Tag.${i + 1}.Key`] = tag.key;
    if (tag.value !== undefined) params[`Tag.${i + 1}.Value`] = tag.value;
  });
  return params;
}

/** How {@link callEcs} signs and sends; every field has a working default. */
export interface CallOptions {
  readonly method?: 'GET' | 'POST';
  /** Method the signature is computed for, to prove the server checks the one actually used. */
  readonly signAs?: 'GET' | 'POST';
  readonly accessKeyId?: string;
  readonly accessKeySecret?: string;
  readonly securityToken?: string;
  /** Clock the Timestamp is made from, epoch ms. @default Date.now() */
  readonly nowMs?: number;
  /** Overrides the formatted Timestamp, e.g. to send a malformed one. */
  readonly timestamp?: string;
  readonly nonce?: string;
  /** @default 'JSON' */
  readonly format?: string;
  /** Common parameters to leave out, to provoke MissingParameter. */
  readonly omit?: readonly string[];
  /** Rewrites the encoded form body after signing. */
  readonly tamperBody?: (body: string) => string;
}

/** What the emulator answered, as status, headers, parsed body and raw text. */
export interface EcsAnswer {
  readonly status: number;
  readonly headers: Headers;
  /** Parsed JSON answer; undefined for a non-JSON (XML) answer. */
  readonly body: unknown;
  readonly text: string;
}

/** Signs `apiParams` like an RPC client and sends them to the emulator at `url`. */
export async function callEcs(
  url: string,
  apiParams: Record<string, string>,
  options: CallOptions = {},
): Promise<EcsAnswer> {
  const method = options.method ?? 'POST';
  const params: Record<string, string> = {
    Format: options.format ?? 'JSON',
    Version: ECS_API_VERSION,
    AccessKeyId: options.accessKeyId ?? EMULATOR_ACCESS_KEY_ID,
    SignatureMethod: 'HMAC-SHA1',
    SignatureVersion: '1.0',
    SignatureNonce: options.nonce ?? randomUUID(),
    Timestamp: options.timestamp ?? formatTimestamp(options.nowMs ?? Date.now()),
    ...(options.securityToken === undefined ? {} : { SecurityToken: options.securityToken }),
    ...apiParams,
  };
  for (const name of options.omit ?? []) delete params[name];
  const signature = signParams(options.signAs ?? method, params, options.accessKeySecret ?? EMULATOR_ACCESS_KEY_SECRET);
  const encoded = `${canonicalQuery(params)}&Signature=${percentEncode(signature)}`;
  const response =
    method === 'GET'
      ? await fetch(`${url}/?${encoded}`)
      : await fetch(`${url}/`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: options.tamperBody ? options.tamperBody(encoded) : encoded,
        });
  const text = await response.text();
  const isJson = (response.headers.get('content-type') ?? '').includes('json');
  const body: unknown = isJson ? JSON.parse(text) : undefined;
  return { status: response.status, headers: response.headers, body, text };
}
