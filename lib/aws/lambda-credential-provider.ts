import { fromEnv } from '@aws-sdk/credential-provider-env';

/**
 * Stands in for `@aws-sdk/credential-provider-node` in the Lambda bundle only (an esbuild alias in
 * serverless.yml). Lambda always hands the function its role's credentials in the environment, so the
 * SSO, INI, IMDS and STS providers of the full chain are about 90 KiB of code that can never run there.
 */
export const defaultProvider = (init: Parameters<typeof fromEnv>[0] = {}) => fromEnv(init);
