import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { staticCredentials } from '../../lib/alibaba/credentials.ts';
import { type EventCommandOptions, eventCommand } from '../../lib/cli/event-command.ts';
import { CredentialsError, InterruptedError } from '../../lib/core/errors.ts';
import { IGNORED } from '../../lib/core/events/types.ts';
import type {
  InventoryClient,
  ListTagResourcesPage,
  ListTagResourcesRequest,
  TagResourceRow,
} from '../../lib/core/ports.ts';
import { captureStream, capturingLogger, inventory, resource } from '../support/ecs.ts';
import { fakeClock } from '../support/fakes/clock.ts';
import { apiError, FakeEcsClient } from '../support/fakes/ecs-client.ts';

/**
 * The in-memory ECS with ListTagResources by ResourceId.N over the same state, so a listing sees what
 * RemoveTags leaves. (A stand-in until the shared inventory fake exists.)
 */
class ListingEcs extends FakeEcsClient implements InventoryClient {
  readonly listCalls: ListTagResourcesRequest[] = [];
  listFailure: Error | undefined;

  async describeTags(): Promise<never> {
    throw new Error('the event command never calls DescribeTags');
  }

  async listTagResources(request: ListTagResourcesRequest): Promise<ListTagResourcesPage> {
    this.listCalls.push(request);
    if (this.listFailure) throw this.listFailure;
    const rows: TagResourceRow[] = (request.resourceIds ?? []).flatMap((resourceId) =>
      Object.entries(this.tagsOf(resourceId, request.regionId, request.resourceType) ?? {}).map(([key, value]) => ({
        resourceType: request.resourceType,
        resourceId,
        key,
        value,
      })),
    );
    return { requestId: `list-${this.listCalls.length}`, rows };
  }
}

let dir = '';
let policyFile = '';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'event-command-'));
  policyFile = join(dir, 'policy.yaml');
  await writeFile(policyFile, 'version: 1\nname: no-tmp\nregions: [cn-hangzhou]\nremove:\n  - key: tmp\n');
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function stateChange(id: string, instanceId: string) {
  return {
    specversion: '1.0',
    id,
    source: 'acs.ecs',
    type: 'ecs:Instance:StateChange',
    aliyunregionid: 'cn-hangzhou',
    data: { resourceId: instanceId, resourceType: 'ALIYUN::ECS::Instance', state: 'Running' },
  };
}

/** The command over in-memory ECS, reading `stdin` for `-`, with its log, stderr and exit code. */
async function runEvent(stdin: unknown, more: Partial<EventCommandOptions> = {}, ecs = newEcs(), signal?: AbortSignal) {
  const clock = fakeClock();
  const { logger, records } = capturingLogger('info');
  const stdout = captureStream();
  const stderr = captureStream();
  const exitCode = await eventCommand(
    {
      files: ['-'],
      policyFile,
      dryRun: false,
      concurrency: 4,
      maxAttempts: 2,
      requestTimeoutMs: 5_000,
      maxResources: 10_000,
      maxQps: 1_000,
      logLevel: 'info',
      ...more,
    },
    {
      stdout: stdout.stream,
      stderr: stderr.stream,
      credentials: staticCredentials({ accessKeyId: 'id', accessKeySecret: 'secret' }),
      readStdin: async () => (typeof stdin === 'string' ? stdin : JSON.stringify(stdin)),
      logger,
      client: ecs,
      now: clock.now,
      sleep: clock.sleep,
      ...(signal && { signal }),
    },
  );
  const lines = (event: string) => records().filter((r) => r.event === event);
  return { exitCode, ecs, lines, stderr: stderr.text() };
}

function newEcs(): ListingEcs {
  return new ListingEcs(
    inventory(
      resource('i-bp1web', { tmp: '1', owner: 'bob' }, { resourceType: 'instance' }),
      resource('i-bp1clean', { owner: 'bob' }, { resourceType: 'instance' }),
    ),
  );
}

describe('tag-cleanup event', () => {
  it('prints planned outcomes in a dry run and changes nothing', async () => {
    // Act
    const { exitCode, ecs, lines } = await runEvent(stateChange('e1', 'i-bp1web'), { dryRun: true });
    // Assess
    expect(exitCode).toBe(0);
    expect(lines('resource.outcome')).toMatchObject([{ resourceId: 'i-bp1web', outcome: 'planned' }]);
    expect(ecs.calls).toHaveLength(0);
    expect(ecs.tagsOf('i-bp1web', 'cn-hangzhou', 'instance')).toStrictEqual({ tmp: '1', owner: 'bob' });
  });

  it('removes what the policy matches on the resources the events name', async () => {
    // Act
    const { exitCode, ecs, lines } = await runEvent([stateChange('e1', 'i-bp1web'), stateChange('e2', 'i-bp1clean')]);
    // Assess
    expect(exitCode).toBe(0);
    expect(lines('resource.outcome')).toMatchObject([{ resourceId: 'i-bp1web', outcome: 'removed' }]);
    expect(ecs.tagsOf('i-bp1web', 'cn-hangzhou', 'instance')).toStrictEqual({ owner: 'bob' });
    expect(lines('events.summary')[0]).toMatchObject({ records: 2, resources: 2, manifests: 1 });
  });

  it('reads events from files as well as stdin', async () => {
    // Prepare
    const file = join(dir, 'events.json');
    await writeFile(file, JSON.stringify([stateChange('e1', 'i-bp1web')]));
    // Act
    const { exitCode, lines } = await runEvent('', { files: [file], dryRun: true });
    // Assess
    expect(exitCode).toBe(0);
    expect(lines('resource.outcome')).toMatchObject([{ resourceId: 'i-bp1web', outcome: 'planned' }]);
  });

  it('exits 130 without calling anything once interrupted by Ctrl-C', async () => {
    // Prepare
    const controller = new AbortController();
    controller.abort(new InterruptedError('SIGINT'));
    // Act
    const { exitCode, ecs } = await runEvent(stateChange('e1', 'i-bp1web'), {}, newEcs(), controller.signal);
    // Assess
    expect(exitCode).toBe(130);
    expect(ecs.listCalls).toHaveLength(0);
    expect(ecs.calls).toHaveLength(0);
  });

  it('reports ignored events as event.ignored lines and exits 0', async () => {
    // Prepare
    const other = { ...stateChange('e1', 'i-bp1web'), type: 'oss:Object:Put' };
    // Act
    const { exitCode, ecs, lines } = await runEvent([other]);
    // Assess
    expect(exitCode).toBe(0);
    expect(lines('event.ignored')).toMatchObject([{ reason: IGNORED.unsupportedType, eventId: 'e1' }]);
    expect(ecs.listCalls).toHaveLength(0);
  });

  it('ignores events made by its own principal', async () => {
    // Prepare
    const own = {
      ...stateChange('e1', 'i-bp1web'),
      type: 'ecs:ActionTrail:ApiCall',
      data: {
        eventName: 'AddTags',
        requestParameters: { ResourceType: 'instance', ResourceId: 'i-bp1web' },
        userIdentity: { principalId: 'me' },
      },
    };
    // Act
    const { exitCode, ecs, lines } = await runEvent(own, { selfPrincipalId: 'me' });
    // Assess
    expect(exitCode).toBe(0);
    expect(lines('event.ignored')).toMatchObject([{ reason: IGNORED.self }]);
    expect(ecs.calls).toHaveLength(0);
  });

  it.each([
    ['not JSON', '{oops', /-: not JSON/],
    [
      'an event without an id',
      [stateChange('e1', 'i-bp1web'), { ...stateChange('e2', 'i-bp1web'), id: undefined }],
      /-: \[1\]\.id: required/,
    ],
    ['an empty array', [], /-: holds no events/],
  ])('exits 2 and lists nothing for %s', async (_, stdin, message) => {
    // Act
    const { exitCode, ecs, stderr } = await runEvent(stdin);
    // Assess
    expect(exitCode).toBe(2);
    expect(stderr).toMatch(message);
    expect(stderr).toMatch(/nothing was run/);
    expect(ecs.listCalls).toHaveLength(0);
  });

  it('exits 2 with one line per issue for an invalid policy', async () => {
    // Prepare
    const bad = join(dir, 'bad.yaml');
    await writeFile(bad, 'version: 1\nname: "no tmp"\nregions: []\n');
    // Act
    const { exitCode, stderr, ecs } = await runEvent(stateChange('e1', 'i-bp1web'), { policyFile: bad });
    // Assess
    expect(exitCode).toBe(2);
    expect(stderr.trimEnd().split('\n').length).toBeGreaterThanOrEqual(3);
    expect(stderr).toMatch(/bad\.yaml is not a valid policy; nothing was listed/);
    expect(ecs.listCalls).toHaveLength(0);
  });

  it('exits 1 when a listing fails, and removes nothing it could not list', async () => {
    // Prepare
    const ecs = newEcs();
    ecs.listFailure = apiError('InvalidParameter');
    // Act
    const { exitCode, lines } = await runEvent(stateChange('e1', 'i-bp1web'), {}, ecs);
    // Assess
    expect(exitCode).toBe(1);
    expect(lines('event.listing.failed')).toHaveLength(1);
    expect(ecs.calls).toHaveLength(0);
  });

  it('exits 1 when a removal fails', async () => {
    // Prepare
    const ecs = newEcs().fail({ resourceId: 'i-bp1web', error: 'Forbidden.RAM' });
    // Act
    const { exitCode, lines } = await runEvent(stateChange('e1', 'i-bp1web'), {}, ecs);
    // Assess
    expect(exitCode).toBe(1);
    expect(lines('resource.outcome')).toMatchObject([{ resourceId: 'i-bp1web', outcome: 'failed' }]);
  });
});

describe('tag-cleanup event without credentials', () => {
  it('exits 2 with the credential chain’s explanation before any call', async () => {
    // Prepare
    const ecs = newEcs();
    const stderr = captureStream();
    // Act
    const exitCode = await eventCommand(
      {
        files: ['-'],
        policyFile,
        dryRun: true,
        concurrency: 1,
        maxAttempts: 1,
        requestTimeoutMs: 1_000,
        maxResources: 10,
        logLevel: 'silent',
      },
      {
        stdout: captureStream().stream,
        stderr: stderr.stream,
        credentials: async () => {
          throw new CredentialsError('no Alibaba Cloud credentials found');
        },
        readStdin: async () => JSON.stringify(stateChange('e1', 'i-bp1web')),
        client: ecs,
      },
    );
    // Assess
    expect(exitCode).toBe(2);
    expect(stderr.text()).toBe('tag-cleanup: no Alibaba Cloud credentials found\n');
    expect(ecs.listCalls).toHaveLength(0);
  });
});
