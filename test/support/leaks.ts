import { percentEncode } from '../../lib/alibaba/sign.ts';

/** Every form a secret could leak in: raw, URL-, form- and RPC-encoded, double-encoded (string to sign), base64. */
export function leakForms(value: string): string[] {
  return [
    ...new Set([
      value,
      encodeURIComponent(value),
      new URLSearchParams({ v: value }).toString().slice(2),
      percentEncode(value),
      percentEncode(percentEncode(value)),
      Buffer.from(value).toString('base64'),
    ]),
  ];
}

/** The secrets found in `haystack`, in any form; empty when nothing leaked. */
export function leaks(haystack: string, secrets: readonly string[]): string[] {
  return secrets.flatMap((secret) => leakForms(secret).filter((form) => haystack.includes(form)));
}
