/** Facts of the ECS API this job targets (version 2014-05-26), defined once for the client, planner and emulator. */

/** The ECS RPC API version every call names. */
export const ECS_API_VERSION = '2014-05-26';

/** RemoveTags accepts `Tag.1` to `Tag.5`. */
export const MAX_TAGS_PER_CALL = 5;

/** ListTagResources accepts `ResourceId.1` to `ResourceId.50`. */
export const MAX_RESOURCE_IDS_PER_LIST = 50;

/**
 * Public Alibaba Cloud region ids (the ECS regions as of 2026; the notes give only the endpoint pattern, so
 * this list is ours to keep up to date).
 * The pipeline warns (`region.unknown`) about a region outside this list; the emulator adds its inventory's regions to it.
 */
export const KNOWN_REGIONS: readonly string[] = [
  'cn-hangzhou',
  'cn-shanghai',
  'cn-beijing',
  'cn-shenzhen',
  'cn-qingdao',
  'cn-zhangjiakou',
  'cn-huhehaote',
  'cn-wulanchabu',
  'cn-chengdu',
  'cn-guangzhou',
  'cn-heyuan',
  'cn-fuzhou',
  'cn-nanjing',
  'cn-hongkong',
  'ap-southeast-1',
  'ap-southeast-2',
  'ap-southeast-3',
  'ap-southeast-5',
  'ap-southeast-6',
  'ap-southeast-7',
  'ap-northeast-1',
  'ap-northeast-2',
  'ap-south-1',
  'us-east-1',
  'us-west-1',
  'eu-central-1',
  'eu-west-1',
  'me-east-1',
  'me-central-1',
];

/** Prefixes of system tag keys: Alibaba never lets them be removed, and no policy may match them. */
export const SYSTEM_TAG_PREFIXES: readonly string[] = ['acs:', 'aliyun'];

/** Whether a tag key is a system tag. */
export function isSystemTagKey(key: string): boolean {
  return SYSTEM_TAG_PREFIXES.some((prefix) => key.startsWith(prefix));
}
