/** A policy compiled once into the per-tag questions the engine asks thousands of times. */
import { isSystemTagKey } from '../ecs-api.ts';
import type { Policy } from './policy.ts';

/** The per-tag and per-resource tests of one policy. */
export interface TagMatcher {
  /** Whether the policy removes this tag. System tags and protect keys never match, whatever the rules say. */
  removes(key: string, value: string): boolean;
  /** Whether this tag marks its resource as protected (key equal, and value equal when the rule names one). */
  protects(key: string, value: string): boolean;
  /** Whether the policy's `exclude.resourceIds` names this resource. */
  excludes(resourceId: string): boolean;
}

interface CompiledRule {
  readonly keyMatches: (key: string) => boolean;
  readonly values: ReadonlySet<string> | undefined;
}

function compileRules(policy: Policy): CompiledRule[] {
  return policy.remove.map((rule) => {
    const values = rule.values === undefined ? undefined : new Set(rule.values);
    if ('key' in rule) return { keyMatches: (key: string) => key === rule.key, values };
    if ('keyPrefix' in rule) return { keyMatches: (key: string) => key.startsWith(rule.keyPrefix), values };
    // No flags: without `g` or `y`, `test` keeps no state between calls.
    const pattern = new RegExp(rule.keyPattern);
    return { keyMatches: (key: string) => pattern.test(key), values };
  });
}

function compile(policy: Policy): TagMatcher {
  const rules = compileRules(policy);
  const keepOnly = policy.keepOnly === undefined ? undefined : new Set(policy.keepOnly);
  const protectKeys = new Set(policy.protect.map((p) => p.key));
  const excluded = new Set(policy.exclude.resourceIds);
  return {
    removes(key, value) {
      if (isSystemTagKey(key) || protectKeys.has(key)) return false;
      if (keepOnly !== undefined && !keepOnly.has(key)) return true;
      return rules.some((rule) => rule.keyMatches(key) && (rule.values === undefined || rule.values.has(value)));
    },
    protects(key, value) {
      return policy.protect.some((p) => p.key === key && (p.value === undefined || p.value === value));
    },
    excludes(resourceId) {
      return excluded.has(resourceId);
    },
  };
}

// Keyed by the policy object, so a sweep compiles each pattern once and nothing outlives the policy.
const compiled = new WeakMap<Policy, TagMatcher>();

/** The compiled matcher of a policy (built on first use, then reused). */
export function tagMatcher(policy: Policy): TagMatcher {
  let matcher = compiled.get(policy);
  if (matcher === undefined) {
    matcher = compile(policy);
    compiled.set(policy, matcher);
  }
  return matcher;
}
