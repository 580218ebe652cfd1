/** Maps zod issues to the project's {@link ValidationIssue}s: rendered paths, unknown-field hints, caps. */
import type * as z from 'zod';
import type { ValidationIssue } from '../errors.ts';

/** The fields a strict object at this path accepts, for the "unknown field" message. */
export type AllowedFields = (path: readonly PropertyKey[]) => readonly string[];

/** Renders a zod path as `resources[3].tags[0].key`; odd keys are quoted so the path stays unambiguous. */
export function formatPath(segments: readonly PropertyKey[]): string {
  let out = '';
  for (const segment of segments) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (typeof segment === 'string' && /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(segment)) {
      out += out === '' ? segment : `.${segment}`;
    } else out += `[${JSON.stringify(String(segment))}]`;
  }
  return out;
}

function unknownFieldReason(name: string, allowed: readonly string[]): string {
  // A near miss such as "dryrun" or "Value" gets a hint, because it would otherwise be silently dropped intent.
  const near = allowed.find((a) => a.toLowerCase() === name.toLowerCase());
  const hint = near ? ` (did you mean "${near}"? names are case-sensitive)` : '';
  return `unknown field${hint}; allowed fields are ${allowed.join(', ')}`;
}

/** Maps zod issues to ours, one per unknown key, with paths rendered under `prefix`. */
export function toIssues(
  issues: readonly z.core.$ZodIssue[],
  prefix: readonly PropertyKey[],
  allowed: AllowedFields,
): ValidationIssue[] {
  const out: ValidationIssue[] = [];
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        out.push({
          path: formatPath([...prefix, ...issue.path, key]),
          reason: unknownFieldReason(key, allowed(issue.path)),
        });
      }
    } else {
      out.push({ path: formatPath([...prefix, ...issue.path]), reason: issue.message || `invalid (${issue.code})` });
    }
  }
  return out;
}

/** Keeps the first `max` issues and says how many more there were, so one absurd input cannot flood a line. */
export function capIssues(issues: ValidationIssue[], max: number, path: string): ValidationIssue[] {
  if (issues.length <= max) return issues;
  return [...issues.slice(0, max), { path, reason: `and ${issues.length - max} more problems not listed` }];
}
