import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { depsFromEnvironment } from '../../handlers/events.ts';
import { loadEventsConfig } from '../../lib/config.ts';

const ENV = {
  TAG_CLEANUP_QUEUE_URL: 'https://sqs.test/000000000000/work',
  TAG_CLEANUP_EVENTS_DLQ_URL: 'https://sqs.test/000000000000/events-dlq',
  TAG_CLEANUP_POLICY_FILE: 'policies/no-temporary-tags.yaml',
  LAMBDA_TASK_ROOT: '/var/task',
};

describe('loadEventsConfig', () => {
  it('reads both queues, the policy under the package root and the own principal', () => {
    // Act
    const config = loadEventsConfig({ ...ENV, TAG_CLEANUP_SELF_PRINCIPAL: ' 2064 ' });
    // Assess
    expect(config).toMatchObject({
      queueUrl: ENV.TAG_CLEANUP_QUEUE_URL,
      eventsDlqUrl: ENV.TAG_CLEANUP_EVENTS_DLQ_URL,
      policyFile: '/var/task/policies/no-temporary-tags.yaml',
      selfPrincipalId: '2064',
    });
  });

  it('names every missing variable at once', () => {
    // Act
    const load = () => loadEventsConfig({ LAMBDA_TASK_ROOT: '/var/task' });
    // Assess
    expect(load).toThrow(/TAG_CLEANUP_QUEUE_URL.*TAG_CLEANUP_EVENTS_DLQ_URL.*TAG_CLEANUP_POLICY_FILE/);
  });

  it.each([
    ['an absolute path', '/etc/policy.yaml', /relative to the package root/],
    ['a Windows drive path', 'C:\\policy.yaml', /relative to the package root/],
    ['a path that climbs out', 'policies/../../secret.yaml', /no '\.\.'/],
  ])('refuses %s for the policy file', (_, path, message) => {
    // Act
    const load = () => loadEventsConfig({ ...ENV, TAG_CLEANUP_POLICY_FILE: path });
    // Assess
    expect(load).toThrow(message);
  });
});

describe('the event adapter entry point', () => {
  const root = fileURLToPath(new URL('../..', import.meta.url));

  it('builds its dependencies from the environment and the packaged policy', async () => {
    // Act
    const deps = await depsFromEnvironment({ ...ENV, LAMBDA_TASK_ROOT: root, TAG_CLEANUP_LOG_LEVEL: 'silent' });
    // Assess
    expect(deps.policy.policy.name).toBe('no-temporary-tags');
    expect(deps.config.eventsDlqUrl).toBe(ENV.TAG_CLEANUP_EVENTS_DLQ_URL);
  });

  it('refuses to start when the packaged policy is missing, naming the file', async () => {
    // Act
    const deps = depsFromEnvironment({ ...ENV, LAMBDA_TASK_ROOT: root, TAG_CLEANUP_POLICY_FILE: 'policies/none.yaml' });
    // Assess
    await expect(deps).rejects.toThrow(/policies\/none\.yaml does not exist/);
  });
});
