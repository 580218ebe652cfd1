/** The fields of the sweep.summary line, in the order issue 10 gives them. */
export const SWEEP_SUMMARY_FIELDS: readonly string[] = [
  'event',
  'policy',
  'regions',
  'complete',
  'incompletePartitions',
  'tagPairsSeen',
  'resourcesMatched',
  'tagsMatched',
  'protectedSkipped',
  'excludedSkipped',
  'manifests',
  'listCalls',
  'throttled',
  'refused',
  'durationMs',
];
