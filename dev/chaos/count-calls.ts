import { parseManifest } from '../../lib/core/manifest/parse.ts';
import { planManifest } from '../../lib/core/plan.ts';
import type { EmulatorStats } from '../emulator/server.ts';
import { resourceKey } from './expected.ts';
import { manifestBody } from './manifest-body.ts';
import type { Workload } from './workload-types.ts';

/** RemoveTags calls: what the plans need against what the emulator applied. */
export interface CallCount {
  readonly plannedCalls: number;
  readonly appliedThen500: number;
  /** Applied beyond the plan; negative when planned calls were never applied. */
  readonly duplicateAppliedCalls: number;
}

/** Plans every manifest as the handler would and counts the calls that reach a resource that supports tags. */
export function countCalls(workload: Workload, emulator: EmulatorStats): CallCount {
  const applicable = new Set(
    workload.inventory.resources
      .filter((r) => r.supported !== false)
      .map((r) => resourceKey(r.regionId, r.resourceType, r.resourceId)),
  );
  let plannedCalls = 0;
  for (const manifest of workload.manifests) {
    for (const resource of planManifest(parseManifest(manifestBody(manifest))).resources) {
      if (applicable.has(resource.key)) plannedCalls += resource.calls.length;
    }
  }
  const appliedThen500 = emulator.calls.filter((c) => c.httpStatus === 500).length;
  return { plannedCalls, appliedThen500, duplicateAppliedCalls: emulator.accepted - plannedCalls };
}
