/** One queued event in, the resources it is about (or why not) out. Pure: no I/O, no clock. */
import { resolveActionTrail } from './action-trail.ts';
import { type CloudEvent, parseCloudEvent } from './cloud-event.ts';
import { resolveConfigNotification, resolveInstanceStateChange } from './resource-events.ts';
import { type EventResolution, IGNORED, type IgnoredResolution, type ResourcesResolution } from './types.ts';

type Resolver = (event: CloudEvent) => ResourcesResolution | IgnoredResolution;

/** The CloudEvent types the job handles, each with its resolver. */
const RESOLVERS: ReadonlyMap<string, Resolver> = new Map<string, Resolver>([
  ['ecs:ActionTrail:ApiCall', resolveActionTrail],
  ['ecs:ActionTrail:ConsoleOperation', resolveActionTrail],
  ['ecs:Instance:StateChange', resolveInstanceStateChange],
  ['config:Config:NonCompliantNotification', resolveConfigNotification],
  ['config:Config:ConfigurationItemChangeNotification', resolveConfigNotification],
]);

/** The CloudEvent `type`s {@link resolveEvent} resolves; every other type is ignored as `unsupported-type`. */
export const SUPPORTED_EVENT_TYPES: readonly string[] = [...RESOLVERS.keys()];

/** Resolves one queued event (its JSON text or a parsed value) to the ECS resources it names. */
export function resolveEvent(input: unknown): EventResolution {
  const parsed = parseCloudEvent(input);
  if (!parsed.ok) return { kind: 'poison', reason: parsed.reason };
  const { event } = parsed;
  const resolve = RESOLVERS.get(event.type);
  if (resolve === undefined) {
    return { kind: 'ignored', reason: IGNORED.unsupportedType, eventId: event.id, source: event.source };
  }
  return resolve(event);
}

/**
 * Drops an event made by the job's own identity (`TAG_CLEANUP_SELF_PRINCIPAL`): its calls must not
 * trigger more of its calls. Without a configured principal nothing is dropped.
 */
export function excludeSelf(resolution: EventResolution, selfPrincipalId: string | undefined): EventResolution {
  if (resolution.kind !== 'resources' || !selfPrincipalId || resolution.principalId !== selfPrincipalId) {
    return resolution;
  }
  return { kind: 'ignored', reason: IGNORED.self, eventId: resolution.eventId, source: resolution.source };
}
