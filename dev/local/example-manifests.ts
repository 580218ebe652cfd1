import { readdir } from 'node:fs/promises';
import { join } from 'node:path';

/** The example manifests (`<examplesDir>/manifests/*.json`) in name order, as the demo and `local` send them. */
export async function exampleManifests(examplesDir: string): Promise<string[]> {
  const dir = join(examplesDir, 'manifests');
  return (await readdir(dir))
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => join(dir, f));
}
