import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { LambdaFunctionURLEvent, SQSEvent } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { InventoryFile } from '../../dev/emulator/server.ts';
import { loadInventory } from '../../dev/emulator/server.ts';
import { addTagsEvent } from '../../dev/local/add-tags-event.ts';
import { type IngestServer, startIngestServer } from '../../dev/local/ingest-server.ts';
import { bannerLines } from '../../dev/local/local-command.ts';
import { renderLocalLine } from '../../dev/local/local-lines.ts';
import { type LocalFunction, type LocalServices, startLocalServices } from '../../dev/local/local-services.ts';
import { receiveAll } from '../../dev/local/receive-all.ts';
import { createLogger } from '../../lib/logger.ts';

const EXAMPLES_DIR = fileURLToPath(new URL('../../examples', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const POLICY_FILE = fileURLToPath(new URL('../../policies/no-temporary-tags.yaml', import.meta.url));
const SELF = '206400000000000099';
const TOKEN = 'e2e-token-7Qm2';

type Json = Record<string, unknown>;

/** The example inventory plus the resources only this test's extra events name. */
async function inventory(): Promise<InventoryFile> {
  const base = await loadInventory(new URL('../../examples/inventory.json', import.meta.url));
  const extra = (resourceType: 'instance' | 'disk', resourceId: string, tags: Record<string, string>) => ({
    regionId: 'cn-hangzhou',
    resourceType,
    resourceId,
    tags,
  });
  return {
    resources: [
      ...base.resources,
      extra('instance', 'i-bp1protected01', { tmp: 'true', 'tag-cleanup:protect': 'true', owner: 'erin' }),
      extra('disk', 'd-bp1selfmade01', { tmp: 'true', owner: 'tag-cleanup' }),
      extra('disk', 'd-bp1unauth01', { tmp: 'true' }),
      extra('disk', 'd-bp1othertype01', { tmp: 'true' }),
    ],
  };
}

async function samples(): Promise<Json[]> {
  const dir = `${EXAMPLES_DIR}/events`;
  const files = (await readdir(dir)).filter((f) => f.endsWith('.json')).sort();
  return Promise.all(files.map(async (f) => JSON.parse(await readFile(`${dir}/${f}`, 'utf8')) as Json));
}

/** An AddTags call on a disk in cn-hangzhou, as ActionTrail reports it, by `principalId`. */
function addTagsOnDisk(id: string, resourceId: string, principalId: string): Json {
  return addTagsEvent({ id, regionId: 'cn-hangzhou', resourceType: 'disk', resourceId, principalId });
}

const extraEvents = {
  protected: {
    specversion: '1.0',
    id: 'e2e-protected-01',
    source: 'acs.ecs',
    type: 'ecs:Instance:StateChange',
    aliyunregionid: 'cn-hangzhou',
    data: { resourceId: 'i-bp1protected01', resourceType: 'ALIYUN::ECS::Instance', state: 'Running' },
  },
  self: addTagsOnDisk('e2e-self-01', 'd-bp1selfmade01', SELF),
  otherType: {
    specversion: '1.0',
    id: 'e2e-other-type-01',
    source: 'acs.ecs',
    type: 'ecs:Disk:ConvertToPostpaidCompleted',
    aliyunregionid: 'cn-hangzhou',
    data: { resourceId: 'd-bp1othertype01' },
  },
  unauthorized: addTagsOnDisk('e2e-unauthorized-01', 'd-bp1unauth01', '206400000000000001'),
};

let services: LocalServices;
const lines: Json[] = [];
const batches: { fn: LocalFunction; event: SQSEvent }[] = [];
let before: InventoryFile;

beforeAll(async () => {
  const seed = await inventory();
  services = await startLocalServices({
    inventory: seed,
    maxQps: 50,
    policyFile: POLICY_FILE,
    packageRoot: REPO_ROOT,
    ingestToken: TOKEN,
    selfPrincipalId: SELF,
    functionTimeoutMs: 10_000,
    logger: createLogger({ level: 'info', destination: { write: (l: string) => void lines.push(JSON.parse(l)) } }),
    onBatch: (fn, event) => batches.push({ fn, event }),
  });
  before = services.stack.emulator.snapshot();
}, 30_000);

afterAll(async () => {
  await services?.close();
});

/** POSTs JSON to the ingest endpoint; `null` sends no token header at all. */
function post(body: unknown, token: string | null = TOKEN): Promise<Response> {
  return fetch(`${services.ingest.url}/`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...(token !== null && { 'X-Tag-Cleanup-Token': token }) },
    body: JSON.stringify(body),
  });
}

function tagsOf(inv: InventoryFile, resourceId: string): Record<string, string> | undefined {
  return inv.resources.find((r) => r.resourceId === resourceId)?.tags;
}

/** The CloudEvent ids in a batch the given function received. */
function eventIdsSeenBy(fn: LocalFunction): string[] {
  const bodies = batches.filter((b) => b.fn === fn).flatMap((b) => b.event.Records.map((r) => r.body));
  return bodies.flatMap((body) => {
    const doc = JSON.parse(body) as { id?: string; origin?: { eventIds?: string[] } };
    return fn === 'events' ? [String(doc.id)] : (doc.origin?.eventIds ?? []);
  });
}

describe('end to end: POST → ingest → events queue → adapter → work queue → cleanup → ECS emulator', () => {
  it('removes the offending tags the sample events point at and leaves everything else as it was', async () => {
    // Prepare
    const sampleEvents = await samples();
    const accepted = [...sampleEvents, extraEvents.protected, extraEvents.self, extraEvents.otherType];

    // Act: a wrong token, a missing one, each sample alone, then the extra events as one batch
    const wrong = await post(extraEvents.unauthorized, 'not-the-token');
    const missing = await post(extraEvents.unauthorized, null);
    const answers = [];
    for (const event of sampleEvents) answers.push(await post(event));
    answers.push(await post([extraEvents.protected, extraEvents.self, extraEvents.otherType]));
    await services.runUntilIdle({ timeoutMs: 15_000 });

    // Assess: refused without a hint, accepted with the count
    expect([wrong.status, missing.status]).toStrictEqual([401, 401]);
    expect(await wrong.json()).toStrictEqual({ message: 'unauthorized' });
    expect(answers.map((a) => a.status)).toStrictEqual([...sampleEvents.map(() => 202), 202]);
    expect(await answers.at(-1)?.json()).toStrictEqual({ accepted: 3 });

    // Assess: the offending tags are gone from the two resources the policy cleans
    const after = services.stack.emulator.snapshot();
    expect(tagsOf(after, 'd-bp1scratch01')).toStrictEqual({ keep: 'yes' });
    expect(tagsOf(after, 'sg-bp1open01')).toStrictEqual({ owner: 'alice' });

    // Assess: every other resource is untouched: excluded, protected, clean, self-made, other type, unauthorized
    const changed = new Set(['d-bp1scratch01', 'sg-bp1open01']);
    for (const resource of before.resources.filter((r) => !changed.has(r.resourceId))) {
      expect(tagsOf(after, resource.resourceId), resource.resourceId).toStrictEqual(resource.tags);
    }
    expect(tagsOf(after, 'd-wz9logs01')).toHaveProperty('tmp', 'true');
    expect(tagsOf(after, 'i-bp1protected01')).toHaveProperty('tmp', 'true');

    // Assess: the adapter got exactly the accepted events, never the unauthorized one
    expect(eventIdsSeenBy('events').sort()).toStrictEqual(accepted.map((e) => String(e.id)).sort());

    // Assess: the manifests on the work queue came from the two events that named offending tags
    expect(new Set(eventIdsSeenBy('cleanup'))).toStrictEqual(
      new Set(['4b1c1e8e-6f3a-4c55-9a51-run-instances-01', 'e3a7d5c1-9b2f-4a6e-8d0c-non-compliant-01']),
    );

    // Assess: the self-event and the unsupported type were dropped with their reasons
    const ignored = lines.filter((l) => l.event === 'event.ignored');
    expect(ignored.find((l) => l.eventId === 'e2e-self-01')?.reason).toBe('self');
    expect(ignored.find((l) => l.eventId === 'e2e-other-type-01')?.reason).toBe('unsupported-type');

    // Assess: two refusals logged as such, and nothing poisoned or dead-lettered anywhere
    const refused = lines.filter((l) => l.event === 'ingest.request' && l.status === 401).map((l) => l.reason);
    expect(refused.sort()).toStrictEqual(['token-missing', 'token-wrong']);
    expect(await receiveAll(services.stack.sqs, services.events.dlqUrl)).toHaveLength(0);
    expect(await receiveAll(services.stack.sqs, services.stack.dlqUrl)).toHaveLength(0);
  }, 20_000);

  it("prints a curl line whose endpoint, token header and sample file are this stack's", async () => {
    // Prepare
    const banner = bannerLines(services, EXAMPLES_DIR, REPO_ROOT);
    const curl = banner.find((l) => l.trim().startsWith('curl ')) ?? '';
    const url = /-X POST (\S+)/.exec(curl)?.[1];
    const header = /-H '(x-tag-cleanup-token: [^']+)'/.exec(curl)?.[1];
    const file = /--data-binary @(\S+)/.exec(curl)?.[1];

    // Act: do what the line does
    const answer = await fetch(url ?? 'http://127.0.0.1:1/', {
      method: 'POST',
      headers: { 'content-type': 'application/json', [String(header?.split(': ')[0])]: String(header?.split(': ')[1]) },
      body: await readFile(`${process.cwd()}/${file}`),
    });

    // Assess
    expect(answer.status).toBe(202);
    expect(banner.join('\n')).toContain('"emulator-key-id", secret "emulator-key-secret"');
  });
});

describe('the local ingest endpoint (startIngestServer)', () => {
  let server: IngestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  async function capture(options: { maxRequestBytes?: number; fail?: boolean } = {}) {
    const seen: LambdaFunctionURLEvent[] = [];
    server = await startIngestServer({
      ...(options.maxRequestBytes !== undefined && { maxRequestBytes: options.maxRequestBytes }),
      handler: async (event) => {
        seen.push(event);
        if (options.fail) throw new Error('boom');
        return { statusCode: 207, headers: { 'x-answer': 'yes' }, body: 'done' };
      },
    });
    return { seen, url: server.url };
  }

  it('hands the handler a payload 2.0 event and writes its answer back', async () => {
    // Prepare
    const { seen, url } = await capture();

    // Act
    const answer = await fetch(`${url}/hook?a=1&a=2&b=x`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Tag-Cleanup-Token': 't', Cookie: 'c1=v1; c2=v2' },
      body: '{"specversion":"1.0"}',
    });

    // Assess: the answer as the handler gave it
    expect([answer.status, answer.headers.get('x-answer'), await answer.text()]).toStrictEqual([207, 'yes', 'done']);
    // Assess: the event as a Function URL builds it
    const event = seen[0];
    expect(event).toMatchObject({
      version: '2.0',
      routeKey: '$default',
      rawPath: '/hook',
      rawQueryString: 'a=1&a=2&b=x',
      queryStringParameters: { a: '1,2', b: 'x' },
      cookies: ['c1=v1', 'c2=v2'],
      body: '{"specversion":"1.0"}',
      isBase64Encoded: false,
      requestContext: { http: { method: 'POST', path: '/hook', sourceIp: '127.0.0.1' }, stage: '$default' },
    });
    expect(event?.headers['x-tag-cleanup-token']).toBe('t');
    expect(event?.headers['content-type']).toBe('application/json');
    expect(Object.keys(event?.headers ?? {}).every((k) => k === k.toLowerCase())).toBe(true);
    expect(event?.headers).not.toHaveProperty('cookie');
  });

  it('base64-encodes a binary body, byte for byte', async () => {
    // Prepare
    const { seen, url } = await capture();
    const bytes = Buffer.from([0xff, 0x00, 0x7b, 0xfe]);

    // Act
    await fetch(`${url}/`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: bytes });

    // Assess
    expect(seen[0]?.isBase64Encoded).toBe(true);
    expect(Buffer.from(seen[0]?.body ?? '', 'base64')).toStrictEqual(bytes);
  });

  it('refuses a body over the invocation limit with 413 without invoking the handler', async () => {
    // Prepare
    const { seen, url } = await capture({ maxRequestBytes: 1024 });

    // Act
    const answer = await fetch(`${url}/`, { method: 'POST', body: 'x'.repeat(1025) });

    // Assess
    expect(answer.status).toBe(413);
    expect(seen).toHaveLength(0);
  });

  it('answers 502 when the handler throws, as a Function URL does', async () => {
    // Prepare
    const { url } = await capture({ fail: true });

    // Act
    const answer = await fetch(`${url}/`, { method: 'POST', body: '{}' });

    // Assess
    expect(answer.status).toBe(502);
  });
});

describe('renderLocalLine', () => {
  it.each([
    [
      'invocation.summary',
      {
        event: 'invocation.summary',
        records: 2,
        manifests: 2,
        tagsRemoved: 16,
        calls: 8,
        retries: 1,
        throttled: 0,
        failedResources: 2,
        deferredResources: 0,
        poisonMessages: 0,
        batchItemFailures: 0,
        durationMs: 540,
      },
      '== cleanup invocation: 2 record(s), 2 manifest(s); 16 tag(s) requested and accepted in 8 call(s), 1 retries, 0 throttled; 2 failed and 0 deferred resource(s); 0 poison; 0 left for redelivery; 540 ms',
    ],
    [
      'events.summary',
      {
        event: 'events.summary',
        records: 1,
        resources: 2,
        ignored: { self: 1 },
        poison: 0,
        verdicts: { remove: 1, 'nothing-to-remove': 1, excluded: 0 },
        manifests: 1,
        listCalls: 2,
        throttled: 0,
        batchItemFailures: 0,
        durationMs: 120,
      },
      '== events invocation: 1 record(s) naming 2 resource(s); verdicts: remove 1, nothing-to-remove 1; ignored: self 1; 0 poison; 1 manifest(s) sent; 2 list call(s), 0 throttled; 0 left for redelivery; 120 ms',
    ],
    [
      'a refused ingest request',
      { event: 'ingest.request', status: 401, events: 0, reason: 'token-wrong', sourceIp: '127.0.0.1', durationMs: 1 },
      'ingest 401 from 127.0.0.1: token-wrong',
    ],
    [
      'an ignored event, its id made terminal-safe',
      { event: 'event.ignored', eventId: 'a\u001b[31mb', type: 'x:y:z', reason: 'unsupported-type' },
      '  · ignored event a\\x1b[31mb (x:y:z): unsupported-type',
    ],
  ])('shows the fields of %s', (_, doc, text) => {
    expect(renderLocalLine(JSON.stringify(doc))).toBe(text);
  });

  it('hides the metrics line, which repeats the summary', () => {
    expect(renderLocalLine(JSON.stringify({ event: 'invocation.metrics', TagsRemoved: 3 }))).toBeUndefined();
  });
});
