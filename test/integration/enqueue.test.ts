import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENQUEUE_EXIT, type EnqueueArgs, runEnqueue } from '../../lib/aws/enqueue.ts';
import { parseManifest } from '../../lib/core/manifest/parse.ts';
import { type Fauxqs, startFauxqs } from '../support/fauxqs.ts';

function manifest(id: string, resourceCount: number, tagCount = 1): Record<string, unknown> {
  return {
    version: 1,
    manifestId: id,
    regionId: 'cn-hangzhou',
    resources: Array.from({ length: resourceCount }, (_, i) => ({
      resourceType: 'instance',
      resourceId: `i-${id}-${String(i).padStart(5, '0')}`,
      tags: Array.from({ length: tagCount }, (_, t) => ({ key: `team-${t}`, value: 'platform' })),
    })),
  };
}

describe('runEnqueue', () => {
  let fq: Fauxqs;
  let dir: string;
  let n = 0;

  beforeAll(async () => {
    fq = await startFauxqs();
    dir = await mkdtemp(join(tmpdir(), 'tag-cleanup-enqueue-'));
  });
  afterAll(async () => {
    await fq.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function file(name: string, content: unknown): Promise<string> {
    const path = join(dir, name);
    await writeFile(path, typeof content === 'string' ? content : JSON.stringify(content));
    return path;
  }

  async function run(files: string[], overrides: Partial<EnqueueArgs> = {}) {
    const out: string[] = [];
    const err: string[] = [];
    const queueUrl = overrides.queueUrl ?? (await fq.createQueue(`enqueue-${++n}`));
    const code = await runEnqueue({
      files,
      queueUrl,
      sqs: fq.sqs,
      maxMessageBytes: 4096,
      out: (l) => out.push(l),
      err: (l) => err.push(l),
      sendOptions: { sleep: async () => {} },
      ...overrides,
    });
    return { code, out, err, queueUrl };
  }

  it('sends small manifests whole and splits an oversize one, one line per message', async () => {
    // Prepare
    const a = await file('a.json', manifest('a', 2));
    const big = await file('big.json', manifest('big', 120, 2));
    const c = await file('c.json', manifest('c', 1));
    // Act
    const { code, out, err, queueUrl } = await run([a, big, c]);
    // Assess
    expect(code).toBe(ENQUEUE_EXIT.ok);
    expect(err).toStrictEqual([]);
    const received = await fq.receiveAll(queueUrl);
    expect(out).toHaveLength(received.length);
    expect(out.filter((l) => l.startsWith(`${a} -> `))).toHaveLength(1);
    expect(out.filter((l) => l.startsWith(`${c} -> `))).toHaveLength(1);
    const bigLines = out.filter((l) => l.startsWith(`${big} -> `));
    expect(bigLines.length).toBeGreaterThan(1);
    expect(new Set(out.map((l) => l.split(' -> ')[1]))).toStrictEqual(new Set(received.map((m) => m.MessageId)));

    const parsed = received.map((m) => parseManifest(m.Body ?? ''));
    const bigParts = parsed.filter((m) => m.manifestId === 'big');
    expect(bigParts).toHaveLength(bigLines.length);
    expect(bigParts.every((m) => m.part?.count === bigParts.length)).toBe(true);
    expect(
      bigParts
        .flatMap((m) => m.resources)
        .map((r) => r.resourceId)
        .sort(),
    ).toStrictEqual((manifest('big', 120).resources as { resourceId: string }[]).map((r) => r.resourceId).sort());
    for (const m of received) expect(Buffer.byteLength(m.Body ?? '')).toBeLessThanOrEqual(4096);
  });

  it('sends nothing and exits 2 when any manifest is invalid, naming file, path and reason', async () => {
    // Prepare
    const good = await file('good.json', manifest('good', 1));
    const bad = await file('bad.json', { ...manifest('bad', 1), regionId: 'Not A Region', dryRun: 'yes' });
    // Act
    const { code, out, err, queueUrl } = await run([good, bad]);
    // Assess
    expect(code).toBe(ENQUEUE_EXIT.invalid);
    expect(out).toStrictEqual([]);
    expect(err.length).toBeGreaterThanOrEqual(2);
    expect(err.some((l) => l.startsWith(`${bad}: regionId: `))).toBe(true);
    expect(err.some((l) => l.startsWith(`${bad}: dryRun: `))).toBe(true);
    expect(err.some((l) => l.startsWith(good))).toBe(false);
    expect(await fq.counts(queueUrl)).toStrictEqual({ visible: 0, notVisible: 0, delayed: 0 });
  });

  it('sends a manifest with a rejected entry unchanged, with a warning, so the handler reports it', async () => {
    // Prepare
    const m = manifest('rej', 2);
    (m.resources as Record<string, unknown>[])[1] = { resourceType: 'bucket', resourceId: 'b-1', tags: [{ key: 'x' }] };
    const path = await file('rejected.json', m);
    // Act
    const { code, err, queueUrl } = await run([path]);
    // Assess
    expect(code).toBe(ENQUEUE_EXIT.ok);
    expect(err.some((l) => l.startsWith(`${path}: warning: resources[1].resourceType: `))).toBe(true);
    const [message] = await fq.receiveAll(queueUrl);
    expect(JSON.parse(message?.Body ?? '{}')).toStrictEqual(m);
  });

  it('refuses a manifest with a rejected entry when it would have to be split', async () => {
    // Prepare
    const m = manifest('rej-big', 200);
    (m.resources as Record<string, unknown>[])[1] = { resourceType: 'bucket', resourceId: 'b-1', tags: [{ key: 'x' }] };
    const path = await file('rejected-big.json', m);
    // Act
    const { code, err, queueUrl } = await run([path], { maxMessageBytes: 4096 });
    // Assess
    expect(code).toBe(ENQUEUE_EXIT.invalid);
    expect(err.some((l) => l.startsWith(`${path}: resources[1].resourceType: `))).toBe(true);
    expect((await fq.counts(queueUrl)).visible).toBe(0);
  });

  it('sends a manifest run accepts, emoji key and U+FFFF value included, and it parses back identical', async () => {
    // Prepare: fauxqs refuses characters above U+FFFF and SQS refuses U+FFFF itself, raw
    const m = manifest('chars', 1);
    (m.resources as Record<string, unknown>[])[0] = {
      resourceType: 'instance',
      resourceId: 'i-chars',
      tags: [
        { key: '😀-owner', value: 'v\uffff' },
        { key: 'équipe', value: '所有者🗼' },
      ],
    };
    const path = await file('chars.json', m);
    // Act
    const { code, err, queueUrl } = await run([path]);
    // Assess
    expect(err).toStrictEqual([]);
    expect(code).toBe(ENQUEUE_EXIT.ok);
    const [message] = await fq.receiveAll(queueUrl);
    expect(message?.Body).toMatch(/^[\x20-\x7e]*$/);
    expect(parseManifest(message?.Body ?? '')).toStrictEqual(parseManifest(JSON.stringify(m)));
  });

  it('sends a manifest with a rejected entry and an emoji key, escaped, with nothing else changed', async () => {
    // Prepare
    const m = manifest('rej-chars', 1);
    (m.resources as Record<string, unknown>[]).push({
      resourceType: 'bucket',
      resourceId: '🪣',
      tags: [{ key: '😀' }],
    });
    const path = await file('rejected-chars.json', `\uFEFF${JSON.stringify(m, null, 2)}`);
    // Act
    const { code, queueUrl } = await run([path]);
    // Assess
    expect(code).toBe(ENQUEUE_EXIT.ok);
    const [message] = await fq.receiveAll(queueUrl);
    expect(message?.Body).toMatch(/^[\x20-\x7e\n]*$/);
    expect(JSON.parse(message?.Body ?? '{}')).toStrictEqual(m);
  });

  it('reports a file that is not JSON or cannot be read', async () => {
    // Prepare
    const notJson = await file('not.json', '{ nope');
    const missing = join(dir, 'missing.json');
    // Act
    const { code, err } = await run([notJson, missing]);
    // Assess
    expect(code).toBe(ENQUEUE_EXIT.invalid);
    expect(err.some((l) => l.startsWith(`${notJson}: body is not valid JSON`))).toBe(true);
    expect(err.some((l) => l.startsWith(`${missing}: cannot read: `))).toBe(true);
  });

  it('reads standard input for -, through the injected reader', async () => {
    // Prepare
    const body = JSON.stringify(manifest('stdin', 1));
    // Act
    const { code, out, queueUrl } = await run(['-'], { readFile: async (f) => (f === '-' ? body : '') });
    // Assess
    expect(code).toBe(ENQUEUE_EXIT.ok);
    expect(out).toHaveLength(1);
    expect(out[0]).toMatch(/^- -> \S+$/);
    expect((await fq.receiveAll(queueUrl)).map((m) => m.Body)).toStrictEqual([
      JSON.stringify({
        version: 1,
        manifestId: 'stdin',
        regionId: 'cn-hangzhou',
        dryRun: false,
        resources: [
          { resourceType: 'instance', resourceId: 'i-stdin-00000', tags: [{ key: 'team-0', value: 'platform' }] },
        ],
      }),
    ]);
  });

  it.each([
    ['no files', [] as string[]],
    ['standard input twice', ['-', '-']],
  ])('refuses %s with exit 2', async (_, files) => {
    // Act
    const { code, err } = await run(files, { readFile: async () => '{}' });
    // Assess
    expect(code).toBe(ENQUEUE_EXIT.invalid);
    expect(err).toHaveLength(1);
  });

  it('exits 1 and says what was not sent when the queue does not exist', async () => {
    // Prepare
    const path = await file('ok.json', manifest('ok', 1));
    const queueUrl = `${await fq.createQueue(`enqueue-${++n}`)}-gone`;
    // Act
    const { code, out, err } = await run([path], { queueUrl });
    // Assess
    expect(code).toBe(ENQUEUE_EXIT.notSent);
    expect(out).toStrictEqual([]);
    expect(err[0]).toBe(`${path}: manifest not sent: QueueDoesNotExist: The specified queue does not exist.`);
    expect(err.at(-1)).toBe('enqueue: 1 of 1 messages not sent');
  });
});
