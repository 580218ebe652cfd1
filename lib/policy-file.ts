/** Reads a policy file from disk for the sweep command and the sweep and event Lambdas. */
import { readFile } from 'node:fs/promises';
import { PolicyError } from './core/errors.ts';
import { parsePolicy } from './core/policy/parse-policy.ts';
import type { ParsedPolicy } from './core/policy/policy.ts';

/**
 * Reads and validates a policy file. Every problem is a PolicyError naming the file, including a file
 * that is missing or unreadable, so callers report one kind of error.
 */
export async function loadPolicyFile(path: string): Promise<ParsedPolicy> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason =
      code === 'ENOENT'
        ? `policy file ${path} does not exist`
        : code === 'EISDIR'
          ? `policy file ${path} is a directory`
          : `policy file ${path} cannot be read (${code ?? 'unknown error'})`;
    throw new PolicyError([{ path: '', reason }]);
  }
  return parsePolicy(text, path);
}
