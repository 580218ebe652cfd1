import { readFile } from 'node:fs/promises';
import { formatIssue, ManifestError, messageOf } from '../core/errors.ts';
import { parseManifest } from '../core/manifest/parse.ts';
import type { Manifest } from '../core/manifest/types.ts';
import { readStdin } from './read-stdin.ts';

/** A manifest file that was read and validated. */
export interface LoadedManifest {
  readonly source: string;
  readonly manifest: Manifest;
}

/** One problem of a manifest that could not be used: the file, and the path and reason (one line each). */
export interface ManifestProblem {
  readonly source: string;
  readonly message: string;
}

/**
 * Reads every file (`-` is stdin) and validates it; nothing runs unless every manifest is valid. A manifest
 * with several whole-manifest problems gives one problem per issue, so each is read on its own line.
 */
export async function readManifests(
  sources: readonly string[],
  options: { readonly maxResources: number; readonly readStdin?: () => Promise<string> },
): Promise<{ loaded: LoadedManifest[]; problems: ManifestProblem[] }> {
  const loaded: LoadedManifest[] = [];
  const problems: ManifestProblem[] = [];
  for (const source of sources) {
    let text: string;
    try {
      text = source === '-' ? await (options.readStdin ?? readStdinText)() : await readFile(source, 'utf8');
    } catch (error) {
      problems.push({ source, message: readProblem(error) });
      continue;
    }
    try {
      loaded.push({ source, manifest: parseManifest(text, { maxResources: options.maxResources }) });
    } catch (error) {
      if (!(error instanceof ManifestError)) throw error;
      problems.push(...error.issues.map((issue) => ({ source, message: formatIssue(issue) })));
    }
  }
  return { loaded, problems };
}

/** Why a file could not be read, in words for the common cases rather than a bare errno string. */
function readProblem(error: unknown): string {
  const code = typeof error === 'object' && error !== null && 'code' in error ? error.code : undefined;
  if (code === 'ENOENT') return 'file does not exist';
  if (code === 'EISDIR') return 'is a directory, not a manifest file';
  if (code === 'EACCES' || code === 'EPERM') return 'cannot read: permission denied';
  return `cannot read: ${messageOf(error)}`;
}

async function readStdinText(): Promise<string> {
  return (await readStdin()).toString('utf8');
}
