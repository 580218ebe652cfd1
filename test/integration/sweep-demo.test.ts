import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runDemo } from '../../dev/demo/run-demo.ts';
import { captureStream } from '../support/ecs.ts';

const examplesDir = fileURLToPath(new URL('../../examples', import.meta.url));

describe('the demo (npm start)', () => {
  it('runs the manifests, then a dry run and a sweep of the example policy, and exits 0', async () => {
    // Prepare
    const stdout = captureStream();
    const stderr = captureStream();
    // Act
    const exitCode = await runDemo(
      { examplesDir, faults: {}, seed: 1, emulatorMaxQps: 50, logLevel: 'info' },
      { stdout: stdout.stream, stderr: stderr.stream },
    );
    // Assess
    expect(exitCode).toBe(0);
    const records = stdout
      .text()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const sweeps = records.filter((r) => r.event === 'sweep.summary');
    expect(sweeps).toHaveLength(2);
    for (const summary of sweeps) {
      expect(summary).toMatchObject({ complete: true, resourcesMatched: 3, protectedSkipped: 1, excludedSkipped: 1 });
    }
    const human = stderr.text();
    expect(human).toContain('the dry run made 0 RemoveTags call(s)');
    expect(human).toMatch(
      /i-wz9keep01 \(cn-shenzhen\): protected by tag-cleanup:protect=true\n.*\n {4}after: {2}tmp=true/,
    );
    expect(human).toMatch(
      /d-wz9logs01 \(cn-shenzhen\): excluded by id\n.*\n {4}after: {2}retention=30d, owner=dave, tmp=true/,
    );
    expect(human).toContain('after:  owner=erin, acs:rm:rgId=rg-acfmdemo01');
  });
});
