/** Turns policy file text into a validated {@link Policy}, or a {@link PolicyError} naming every problem's path. */
import { createHash } from 'node:crypto';
import type * as z from 'zod';
import { PolicyError, type ValidationIssue } from '../errors.ts';
import { capIssues, toIssues } from '../manifest/issues.ts';
import type { ParsedPolicy, Policy } from './policy.ts';
import { policyAllowedFields, policySchema, toPolicy } from './policy-schema.ts';
import { readYaml } from './read-yaml.ts';

/** A policy is a short hand-written file; anything near this size is a wrong file, not a policy. */
export const MAX_POLICY_CHARACTERS = 1024 * 1024;
// Enough to fix a file in one go; more only buries the first ones.
const MAX_ISSUES = 50;

/** Our issues, one per unknown field, each reason ending with where it is in the file. */
function schemaIssues(
  zodIssues: readonly z.core.$ZodIssue[],
  locate: (path: readonly PropertyKey[]) => string,
): ValidationIssue[] {
  return zodIssues.flatMap((zodIssue) => {
    // One issue per unknown field, so each points at its own line.
    const single =
      zodIssue.code === 'unrecognized_keys' ? zodIssue.keys.map((key) => ({ ...zodIssue, keys: [key] })) : [zodIssue];
    return single.flatMap((one) => {
      const at = one.code === 'unrecognized_keys' ? [...one.path, ...one.keys] : one.path;
      return toIssues([one], [], policyAllowedFields).map((issue) => ({
        ...issue,
        reason: `${issue.reason} (${locate(at)})`,
      }));
    });
  });
}

/**
 * Parses a version-1 policy from YAML or JSON text. `sourceName` (a file name, say) only appears in
 * messages, as `name:line:column`. Pure: the caller reads the file.
 * @throws PolicyError listing each problem with its path (`remove[2].keyPattern`) and reason.
 */
export function parsePolicy(text: string, sourceName: string): ParsedPolicy {
  if (text.length > MAX_POLICY_CHARACTERS) {
    throw new PolicyError([
      {
        path: '',
        reason: `${sourceName} has ${text.length} characters; a policy may have at most ${MAX_POLICY_CHARACTERS}`,
      },
    ]);
  }
  const source = readYaml(text, sourceName);
  if (source.issues.length > 0) throw new PolicyError(capIssues([...source.issues], MAX_ISSUES, ''));
  if (source.value == null) {
    throw new PolicyError([
      { path: '', reason: `${sourceName} is empty; a policy needs version, name, regions and remove or keepOnly` },
    ]);
  }
  const result = policySchema.safeParse(source.value);
  if (!result.success) {
    throw new PolicyError(capIssues(schemaIssues(result.error.issues, source.locate), MAX_ISSUES, ''));
  }
  const policy: Policy = toPolicy(result.data);
  return { policy, policySha256: createHash('sha256').update(text, 'utf8').digest('hex') };
}
