// The vocabulary of a chaos workload: what the generator builds and what the verification reads.
import type { ResourceType } from '../../lib/core/manifest/types.ts';
import type { InventoryFile } from '../emulator/server.ts';

/** A tag to remove, as written in a manifest. */
export interface ChaosTag {
  readonly key: string;
  readonly value?: string;
}

/** What the run must end with for one (manifest, resource) pair. */
export type ExpectedOutcome =
  | { readonly outcome: 'removed' }
  | { readonly outcome: 'failed'; readonly code: 'InvalidResourceId.NotFound' | 'InvalidResourceId.NotSupported' }
  | { readonly outcome: 'rejected' };

/** One manifest entry and the outcome the generator built it to have. */
export interface ChaosEntry {
  readonly regionId: string;
  readonly resourceType: ResourceType;
  readonly resourceId: string;
  readonly tags: readonly ChaosTag[];
  readonly expected: ExpectedOutcome;
}

/** One generated manifest. */
export interface ChaosManifest {
  readonly manifestId: string;
  readonly regionId: string;
  readonly entries: readonly ChaosEntry[];
}

/** A body that must end in the DLQ with reason `InvalidManifest`. */
export interface PoisonMessage {
  readonly label: string;
  readonly body: string;
}

/** Everything one chaos run sends and the inventory the emulator starts with. */
export interface Workload {
  readonly seed: number;
  readonly manifests: readonly ChaosManifest[];
  readonly inventory: InventoryFile;
  readonly poison: readonly PoisonMessage[];
}

/** Every manifest's region; most resources live here. */
export const MAIN_REGION = 'cn-hangzhou';
/** The region a tenth of the resources live in, so that entries override the manifest's region. */
export const OTHER_REGION = 'cn-shanghai';
