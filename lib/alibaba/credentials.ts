import { createRequire } from 'node:module';
import { CredentialsError, messageOf } from '../errors.ts';

/** Alibaba Cloud credentials; `securityToken` is present for STS credentials. */
export interface AlibabaCredentials {
  readonly accessKeyId: string;
  readonly accessKeySecret: string;
  readonly securityToken?: string;
}

/** Called before every request so that refreshed STS credentials are picked up. */
export type CredentialsSource = () => Promise<AlibabaCredentials>;

/** Fixed credentials, e.g. the emulator's or ones read from a secrets store. */
export function staticCredentials(credentials: AlibabaCredentials): CredentialsSource {
  return async () => credentials;
}

/**
 * Credentials from the standard `ALIBABA_CLOUD_*` variables only. The Lambda uses this (or SSM): the full
 * official chain would add its package to the bundle for sources that do not exist on Lambda.
 */
export function environmentCredentials(env: Readonly<Record<string, string | undefined>>): CredentialsSource {
  return async () => {
    const accessKeyId = env.ALIBABA_CLOUD_ACCESS_KEY_ID;
    const accessKeySecret = env.ALIBABA_CLOUD_ACCESS_KEY_SECRET;
    if (!accessKeyId || !accessKeySecret) {
      throw new CredentialsError(
        'no Alibaba Cloud credentials: set TAG_CLEANUP_SSM_ACCESS_KEY_ID_PARAM and TAG_CLEANUP_SSM_ACCESS_KEY_SECRET_PARAM ' +
          '(SSM SecureString names), or ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET',
      );
    }
    const securityToken = env.ALIBABA_CLOUD_SECURITY_TOKEN;
    return { accessKeyId, accessKeySecret, ...(securityToken ? { securityToken } : {}) };
  };
}

interface OfficialCredentialModel {
  accessKeyId?: string;
  accessKeySecret?: string;
  securityToken?: string;
}
interface OfficialCredentialClient {
  getCredential(): Promise<OfficialCredentialModel>;
}

/**
 * The official default chain (`@alicloud/credentials`): env vars, OIDC role, CLI profile, credentials
 * file, ECS instance metadata, credentials URI. It caches and refreshes STS credentials itself.
 * Resolution is lazy; the first failure surfaces as a CredentialsError that says how to fix it.
 */
export function defaultCredentialsChain(): CredentialsSource {
  let client: OfficialCredentialClient | undefined;
  return async () => {
    try {
      if (client === undefined) {
        // The package is CommonJS with `exports.default`; require sidesteps ESM interop guessing.
        const require = createRequire(import.meta.url);
        const mod = require('@alicloud/credentials') as { default: new () => OfficialCredentialClient };
        client = new mod.default();
      }
      const model = await client.getCredential();
      if (!model.accessKeyId || !model.accessKeySecret) throw new Error('the chain returned an empty access key');
      return {
        accessKeyId: model.accessKeyId,
        accessKeySecret: model.accessKeySecret,
        ...(model.securityToken ? { securityToken: model.securityToken } : {}),
      };
    } catch (error) {
      client = undefined;
      throw new CredentialsError(
        'no Alibaba Cloud credentials found: set ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET ' +
          `(plus ALIBABA_CLOUD_SECURITY_TOKEN for STS), or configure an aliyun CLI profile (${firstLine(messageOf(error))})`,
        { cause: error },
      );
    }
  };
}

function firstLine(text: string): string {
  return (text.split('\n')[0] ?? '').slice(0, 200);
}
