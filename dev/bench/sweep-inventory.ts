/**
 * The sweep scenario's account: 100,000 resources in one region, 5% of them carrying a tag the policy
 * removes, spread over several keys and resource types (so there are many NextToken chains, short and
 * long), plus the everyday tags of a real account with many distinct values (so DescribeTags has many
 * pages), a few system tags and a protect tag. Seeded, so every run lists the same account.
 */
import type { ResourceType } from '../../lib/core/manifest/types.ts';
import { mulberry32 } from '../emulator/faults.ts';
import type { InventoryResource } from '../emulator/server.ts';

export const SWEEP_REGION = 'cn-hangzhou';
/** Share of resources carrying at least one tag the policy removes. */
export const SWEEP_MATCHING_SHARE = 0.05;

/** The policy the scenario sweeps with: every kind of remove rule, and a protect tag. */
export const SWEEP_POLICY = [
  'version: 1',
  'name: bench-sweep',
  `regions: [${SWEEP_REGION}]`,
  'remove:',
  '  - key: tmp',
  '  - keyPrefix: "ci-"',
  '  - keyPattern: "^build-[0-9]+$"',
  '  - key: env',
  '    values: [legacy]',
  'protect:',
  '  - key: "tag-cleanup:protect"',
  '    value: "true"',
  'maxResources: 10000',
  '',
].join('\n');

/** Resources per type, most of them disks and instances as in a typical account. */
export const SWEEP_TYPE_COUNTS: readonly (readonly [ResourceType, number])[] = [
  ['disk', 50_000],
  ['instance', 30_000],
  ['snapshot', 15_000],
  ['image', 3_000],
  ['securitygroup', 2_000],
];

export const SWEEP_RESOURCES = SWEEP_TYPE_COUNTS.reduce((n, [, count]) => n + count, 0);

const ID_PREFIX: Readonly<Record<ResourceType, string>> = {
  disk: 'd',
  instance: 'i',
  snapshot: 's',
  image: 'm',
  securitygroup: 'sg',
};

/** Share of all resources carrying the protect tag; some of them also carry a matching tag. */
const PROTECTED_SHARE = 0.01;

/**
 * Builds the inventory. Every resource has env, owner, cost-center and app; 40% a release tag (10,000
 * values), 30% a resource-group system tag. The matching 5% get one of: tmp (800 values), ci-run (a
 * value per run), ci-pipeline (50 values), one of 40 build-N keys, or env=legacy; a tenth of them a
 * second one.
 */
export function buildSweepInventory(): InventoryResource[] {
  const random = mulberry32(2024);
  const pick = (n: number) => Math.floor(random() * n);
  const resources: InventoryResource[] = [];
  for (const [type, count] of SWEEP_TYPE_COUNTS) {
    for (let i = 0; i < count; i++) {
      const tags: Record<string, string> = {
        env: ['prod', 'staging', 'dev'][pick(3)] as string,
        owner: `owner-${pick(400)}`,
        'cost-center': `cc-${pick(60)}`,
        app: `app-${pick(3000)}`,
      };
      if (random() < 0.4) tags.release = `r-${pick(10_000)}`;
      if (random() < 0.3) tags['acs:rm:rgId'] = `rg-${pick(20)}`;
      if (random() < PROTECTED_SHARE) tags['tag-cleanup:protect'] = 'true';
      if (random() < SWEEP_MATCHING_SHARE) {
        addMatchingTag(tags, random);
        if (random() < 0.1) addMatchingTag(tags, random);
      }
      const id = `${ID_PREFIX[type]}-bench${i.toString(36).padStart(6, '0')}`;
      resources.push({ regionId: SWEEP_REGION, resourceType: type, resourceId: id, tags });
    }
  }
  return resources;
}

function addMatchingTag(tags: Record<string, string>, random: () => number): void {
  const pick = (n: number) => Math.floor(random() * n);
  const kind = random();
  if (kind < 0.4) tags.tmp = `tmp-${pick(800)}`;
  else if (kind < 0.65) tags['ci-run'] = `run-${pick(1_000_000)}`;
  else if (kind < 0.75) tags['ci-pipeline'] = `pipeline-${pick(50)}`;
  else if (kind < 0.85) tags[`build-${1 + pick(40)}`] = 'true';
  else tags.env = 'legacy';
}
