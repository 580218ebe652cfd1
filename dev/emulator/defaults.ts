/** Fixed values shared by the emulator, its tests and the demo. None of them is a real credential. */

/** AccessKeyId the emulator accepts when no `accounts` option is given. */
export const EMULATOR_ACCESS_KEY_ID = 'emulator-key-id';

/** AccessKeySecret paired with {@link EMULATOR_ACCESS_KEY_ID}. */
export const EMULATOR_ACCESS_KEY_SECRET = 'emulator-key-secret';

/** The only API version RemoveTags answers to, as on real ECS. */
export const ECS_API_VERSION = '2014-05-26';

/** Largest clock skew the server tolerates between `Timestamp` and its own clock (ECS doc: 15 minutes). */
export const MAX_TIMESTAMP_SKEW_MS = 15 * 60 * 1000;

/** How long a used `SignatureNonce` is refused (ECS behaviour: about 31 minutes). */
export const NONCE_WINDOW_MS = 31 * 60 * 1000;

/** RemoveTags accepts `Tag.1` to `Tag.5` (the product specification's limit). */
export const MAX_TAGS_PER_CALL = 5;

/** Public Alibaba Cloud regions; the inventory's own regions are added to these at start-up. */
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
