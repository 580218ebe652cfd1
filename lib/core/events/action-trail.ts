/** Resources named by an ActionTrail record (`ecs:ActionTrail:ApiCall` and `…:ConsoleOperation`). */
import type { ResourceType } from '../manifest/types.ts';
import type { CloudEvent } from './cloud-event.ts';
import { asRecord, asString, field, paramStrings, stringsAt, stringsOf } from './fields.ts';
import { RefCollector, validRegion } from './ref-collector.ts';
import { IGNORED, type IgnoredResolution, type ResourcesResolution } from './types.ts';

/** What one supported API call says about the resources it touched. */
interface CallSpec {
  /** Paths in `responseElements` naming the resources the call created. */
  readonly created?: readonly (readonly [path: string, type: ResourceType])[];
  /** `requestParameters` naming the resources the call modified (`Name` and its list form `Name.N`). */
  readonly modified?: readonly (readonly [param: string, type: ResourceType])[];
  /** The call names its resources as `ResourceType` plus `ResourceId` / `ResourceId.N` (AddTags, TagResources). */
  readonly tagged?: true;
  /** The parameter naming the region the created resource lives in, when it is not the call's region (copies). */
  readonly createdRegionParam?: string;
}

// Create, tag and modify calls on the five resource types, with the response fields the ECS API docs give.
const CALLS: ReadonlyMap<string, CallSpec> = new Map<string, CallSpec>([
  ['RunInstances', { created: [['InstanceIdSets.InstanceIdSet', 'instance']] }],
  ['CreateInstance', { created: [['InstanceId', 'instance']] }],
  ['CreateDisk', { created: [['DiskId', 'disk']] }],
  ['CreateSnapshot', { created: [['SnapshotId', 'snapshot']] }],
  ['CopySnapshot', { created: [['SnapshotId', 'snapshot']], createdRegionParam: 'DestinationRegionId' }],
  ['CreateImage', { created: [['ImageId', 'image']] }],
  ['CopyImage', { created: [['ImageId', 'image']], createdRegionParam: 'DestinationRegionId' }],
  ['CreateSecurityGroup', { created: [['SecurityGroupId', 'securitygroup']] }],
  ['AddTags', { tagged: true }],
  ['TagResources', { tagged: true }],
  ['ModifyInstanceAttribute', { modified: [['InstanceId', 'instance']] }],
  [
    'ModifyDiskAttribute',
    {
      modified: [
        ['DiskId', 'disk'],
        ['DiskIds', 'disk'],
      ],
    },
  ],
  ['ModifySnapshotAttribute', { modified: [['SnapshotId', 'snapshot']] }],
  ['ModifyImageAttribute', { modified: [['ImageId', 'image']] }],
  ['ModifySecurityGroupAttribute', { modified: [['SecurityGroupId', 'securitygroup']] }],
]);

// The job's own calls: reacting to them would feed back into itself.
const OWN_CALLS = new Set(['RemoveTags', 'UntagResources']);

/** Resolves one ActionTrail record to the resources its call created, tagged or modified. */
export function resolveActionTrail(event: CloudEvent): ResourcesResolution | IgnoredResolution {
  const { id: eventId, source, data } = event;
  const eventName = asString(field(data, 'eventName'));
  if (eventName === undefined) return { kind: 'ignored', reason: IGNORED.malformedData, eventId, source };
  if (OWN_CALLS.has(eventName)) return { kind: 'ignored', reason: IGNORED.ownCall, eventId, source };
  // A failed call is recorded too (with errorCode); it created or changed nothing.
  if (field(data, 'errorCode') !== undefined) return { kind: 'ignored', reason: IGNORED.failedCall, eventId, source };
  const spec = CALLS.get(eventName);
  if (spec === undefined) return { kind: 'ignored', reason: IGNORED.unsupportedCall, eventId, source };
  const params = field(data, 'requestParameters');
  const regionId =
    validRegion(event.aliyunregionid) ??
    validRegion(field(data, 'acsRegion')) ??
    validRegion(field(data, 'regionId')) ??
    validRegion(field(params, 'RegionId'));
  const refs = new RefCollector();
  collectCreated(
    refs,
    spec,
    data,
    spec.createdRegionParam ? validRegion(field(params, spec.createdRegionParam)) : regionId,
  );
  for (const [param, type] of spec.modified ?? []) {
    for (const id of paramStrings(params, param)) refs.add(type, id, regionId);
  }
  if (spec.tagged) collectTagged(refs, params, regionId);
  // A copy's referenced resources mix the source (this region) and the copy (another); the response is exact.
  if (spec.createdRegionParam === undefined) collectReferenced(refs, field(data, 'referencedResources'), regionId);
  const principalId = asString(field(field(data, 'userIdentity'), 'principalId'));
  return refs.finish({ eventId, source, ...(principalId !== undefined && { principalId }) });
}

function collectCreated(refs: RefCollector, spec: CallSpec, data: unknown, regionId: string | undefined): void {
  const response = field(data, 'responseElements');
  for (const [path, type] of spec.created ?? []) {
    for (const id of stringsAt(response, path)) refs.add(type, id, regionId);
  }
}

function collectTagged(refs: RefCollector, params: unknown, regionId: string | undefined): void {
  const type = asString(field(params, 'ResourceType'));
  if (type === undefined) return;
  for (const id of paramStrings(params, 'ResourceId')) refs.add(type, id, regionId);
}

/** `{"ACS::ECS::Instance": ["i-…"], "ACS::ECS::Disk": ["d-…"]}`: every resource the call referred to. */
function collectReferenced(refs: RefCollector, referenced: unknown, regionId: string | undefined): void {
  const byType = asRecord(referenced);
  if (!byType) return;
  for (const type of Object.keys(byType)) {
    for (const id of stringsOf(byType[type])) refs.add(type, id, regionId);
  }
}
