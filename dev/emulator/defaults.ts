/** Fixed values shared by the emulator, its tests and the demo. None of them is a real credential. */

/** AccessKeyId the emulator accepts when no `accounts` option is given. */
export const EMULATOR_ACCESS_KEY_ID = 'emulator-key-id';

/** AccessKeySecret paired with {@link EMULATOR_ACCESS_KEY_ID}. */
export const EMULATOR_ACCESS_KEY_SECRET = 'emulator-key-secret';

/** Largest clock skew the server tolerates between `Timestamp` and its own clock (ECS doc: 15 minutes). */
export const MAX_TIMESTAMP_SKEW_MS = 15 * 60 * 1000;

/** How long a used `SignatureNonce` is refused (ECS behaviour: about 31 minutes). */
export const NONCE_WINDOW_MS = 31 * 60 * 1000;
