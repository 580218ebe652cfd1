import { describeTagsAction } from './describe-tags.ts';
import type { EcsErrorAnswer } from './ecs-error.ts';
import type { EmulatorContext } from './emulator-context.ts';
import type { EcsAction } from './flow-control.ts';
import { listTagResourcesAction } from './list-tag-resources.ts';
import { removeTagsAction } from './remove-tags.ts';

/** One authenticated, admitted call of an action. */
export interface ActionCall {
  readonly ctx: EmulatorContext;
  readonly params: Readonly<Record<string, string>>;
  readonly requestId: string;
  /** The `applyThen500` fault: act, then answer 500 as if the response was lost. */
  readonly lostResponse: boolean;
}

/** The body of a 200 answer (RequestId included), or the ECS error to answer with. */
export type ActionResult =
  | { readonly ok: true; readonly body: Readonly<Record<string, unknown>> }
  | { readonly ok: false; readonly error: EcsErrorAnswer };

/** Validates and performs one call of an action. */
export type ActionHandler = (call: ActionCall) => ActionResult;

/** The actions the emulator serves, by `Action` parameter. */
export const ACTIONS: ReadonlyMap<string, ActionHandler> = new Map<EcsAction, ActionHandler>([
  ['RemoveTags', removeTagsAction],
  ['DescribeTags', describeTagsAction],
  ['ListTagResources', listTagResourcesAction],
]);
