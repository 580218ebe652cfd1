/** Events about one resource: ECS instance state changes and Cloud Config notifications. */
import type { CloudEvent } from './cloud-event.ts';
import { asString, field } from './fields.ts';
import { RefCollector, validRegion } from './ref-collector.ts';
import { IGNORED, type IgnoredResolution, type ResourcesResolution } from './types.ts';

/** `ecs:Instance:StateChange`: the instance in `data.resourceId`. */
export function resolveInstanceStateChange(event: CloudEvent): ResourcesResolution | IgnoredResolution {
  const { id: eventId, source, data } = event;
  const resourceId = asString(field(data, 'resourceId'));
  if (resourceId === undefined) return { kind: 'ignored', reason: IGNORED.malformedData, eventId, source };
  // The type is implied by the event type; the field is read anyway so that a surprise is not acted on.
  const type = asString(field(data, 'resourceType')) ?? 'ACS::ECS::Instance';
  const regionId = validRegion(event.aliyunregionid) ?? validRegion(field(data, 'regionId'));
  const refs = new RefCollector();
  refs.add(type, resourceId, regionId);
  return refs.finish({ eventId, source });
}

/**
 * `config:Config:NonCompliantNotification` and `…:ConfigurationItemChangeNotification`: the resource in
 * `data.evaluationResultIdentifier.evaluationResultQualifier`.
 */
export function resolveConfigNotification(event: CloudEvent): ResourcesResolution | IgnoredResolution {
  const { id: eventId, source, data } = event;
  const qualifier = field(field(data, 'evaluationResultIdentifier'), 'evaluationResultQualifier');
  const resourceId = asString(field(qualifier, 'resourceId'));
  const type = asString(field(qualifier, 'resourceType'));
  if (resourceId === undefined || type === undefined) {
    return { kind: 'ignored', reason: IGNORED.malformedData, eventId, source };
  }
  // The qualifier names the resource's own region; with an aggregator it may differ from where the event came from.
  const regionId = validRegion(field(qualifier, 'regionId')) ?? validRegion(event.aliyunregionid);
  const refs = new RefCollector();
  refs.add(type, resourceId, regionId);
  return refs.finish({ eventId, source });
}
