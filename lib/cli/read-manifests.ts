import { readFile } from 'node:fs/promises';
import { formatIssues, ManifestError, messageOf } from '../core/errors.ts';
import { parseManifest } from '../core/manifest/parse.ts';
import type { Manifest } from '../core/manifest/types.ts';
import { readStdin } from './read-stdin.ts';

/** A manifest file that was read and validated. */
export interface LoadedManifest {
  readonly source: string;
  readonly manifest: Manifest;
}

/** One manifest that could not be used, with a message that names the file, the path and the reason. */
export interface ManifestProblem {
  readonly source: string;
  readonly message: string;
}

/** Reads every file (`-` is stdin) and validates it; nothing runs unless every manifest is valid. */
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
      problems.push({ source, message: `cannot read: ${messageOf(error)}` });
      continue;
    }
    try {
      loaded.push({ source, manifest: parseManifest(text, { maxResources: options.maxResources }) });
    } catch (error) {
      if (!(error instanceof ManifestError)) throw error;
      problems.push({ source, message: formatIssues(error.issues) });
    }
  }
  return { loaded, problems };
}

async function readStdinText(): Promise<string> {
  return (await readStdin()).toString('utf8');
}
