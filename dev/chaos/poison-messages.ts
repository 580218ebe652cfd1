import { MAIN_REGION, type PoisonMessage } from './workload-types.ts';

/** Bodies the handler must dead-letter as `InvalidManifest`, one per way a body can be unreadable. */
export function poisonMessages(seed: number): PoisonMessage[] {
  const deep = `${'['.repeat(10_000)}${']'.repeat(10_000)}`;
  return [
    { label: 'not JSON', body: `this is not json {seed ${seed}` },
    {
      label: 'unknown version',
      body: JSON.stringify({ version: 2, manifestId: `future-${seed}`, regionId: MAIN_REGION, resources: [] }),
    },
    { label: 'no resources', body: JSON.stringify({ version: 1, manifestId: `nores-${seed}`, regionId: MAIN_REGION }) },
    { label: 'nested 10 000 deep', body: deep },
    { label: 'a JSON array', body: `[1, 2, ${seed}]` },
    { label: '__proto__ only', body: `{"__proto__": {"version": 1}, "seed": ${seed}}` },
  ];
}
