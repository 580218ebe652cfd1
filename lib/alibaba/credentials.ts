import { createRequire } from 'node:module';
import { CredentialsError, messageOf } from '../core/errors.ts';

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

interface OfficialProvider {
  getCredentials(): Promise<{ accessKeyId?: string; accessKeySecret?: string; securityToken?: string }>;
}
interface OfficialProviderClass {
  builder(): { build(): OfficialProvider; withCredentialsURI?(uri: string): unknown };
}
type OfficialModule = Record<
  | 'EnvironmentVariableCredentialsProvider'
  | 'OIDCRoleArnCredentialsProvider'
  | 'CLIProfileCredentialsProvider'
  | 'ProfileCredentialsProvider'
  | 'ECSRAMRoleCredentialsProvider'
  | 'URICredentialsProvider',
  OfficialProviderClass
>;

/**
 * The official default chain, in its order (`@alicloud/credentials` providers): env vars, OIDC role, CLI
 * profile, credentials file, ECS instance metadata, credentials URI. Each provider caches and refreshes STS
 * credentials itself. We assemble the chain rather than use the package's `DefaultCredentialsProvider`
 * because that one always adds the URI provider, which calls `https://undefined` when no URI is set.
 * The first failure surfaces as a CredentialsError that says how to fix it.
 */
export function defaultCredentialsChain(env: Readonly<Record<string, string | undefined>>): CredentialsSource {
  let providers: OfficialProvider[] | undefined;
  let lastUsed: OfficialProvider | undefined;
  const build = (): OfficialProvider[] => {
    // The package is CommonJS; require sidesteps ESM interop guessing.
    const mod = createRequire(import.meta.url)('@alicloud/credentials') as OfficialModule;
    const candidates: (() => OfficialProvider)[] = [
      () => mod.EnvironmentVariableCredentialsProvider.builder().build(),
      () => mod.OIDCRoleArnCredentialsProvider.builder().build(),
      () => mod.CLIProfileCredentialsProvider.builder().build(),
      () => mod.ProfileCredentialsProvider.builder().build(),
      () => mod.ECSRAMRoleCredentialsProvider.builder().build(),
    ];
    const uri = env.ALIBABA_CLOUD_CREDENTIALS_URI;
    if (uri) {
      candidates.push(() => {
        const builder = mod.URICredentialsProvider.builder();
        builder.withCredentialsURI?.(uri);
        return builder.build();
      });
    }
    const built: OfficialProvider[] = [];
    for (const make of candidates) {
      try {
        built.push(make());
      } catch {
        // A provider whose configuration is absent refuses to build; the chain skips it.
      }
    }
    return built;
  };
  const toCredentials = (model: Awaited<ReturnType<OfficialProvider['getCredentials']>>): AlibabaCredentials => {
    if (!model.accessKeyId || !model.accessKeySecret) throw new Error('the provider returned an empty access key');
    return {
      accessKeyId: model.accessKeyId,
      accessKeySecret: model.accessKeySecret,
      ...(model.securityToken ? { securityToken: model.securityToken } : {}),
    };
  };
  return async () => {
    if (lastUsed) return toCredentials(await lastUsed.getCredentials());
    providers ??= build();
    const reasons: string[] = [];
    for (const provider of providers) {
      try {
        const credentials = toCredentials(await provider.getCredentials());
        lastUsed = provider;
        return credentials;
      } catch (error) {
        reasons.push(firstLine(messageOf(error)));
      }
    }
    throw new CredentialsError(
      'no Alibaba Cloud credentials found: set ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET ' +
        `(plus ALIBABA_CLOUD_SECURITY_TOKEN for STS), or configure an aliyun CLI profile (tried: ${reasons.join('; ')})`,
    );
  };
}

function firstLine(text: string): string {
  const line = text.split('\n')[0] ?? '';
  return line.length > 300 ? `${line.slice(0, 299)}…` : line;
}
