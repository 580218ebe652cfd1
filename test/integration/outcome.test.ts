import { describe, expect, it } from 'vitest';
import { toCsv } from '../../lib/cli/report-file.ts';
import { ApiError, CredentialsError, DeadlineError, NetworkError } from '../../lib/core/errors.ts';
import {
  type FinishedResult,
  type OutcomeLine,
  type RejectedResult,
  settleWithoutQueue,
  toErrorInfo,
  type UnfinishedResult,
} from '../../lib/core/outcome.ts';
import { ManifestReporter } from '../../lib/engine/manifest-reporter.ts';
import { capturingLogger } from '../support/ecs.ts';

function result(overrides: Partial<FinishedResult> = {}): FinishedResult {
  return {
    key: 'cn-hangzhou/disk/d-1',
    regionId: 'cn-hangzhou',
    resourceType: 'disk',
    resourceId: 'd-1',
    status: 'removed',
    removed: [{ key: 'a' }],
    calls: 1,
    attempts: 1,
    throttles: 0,
    requestIds: ['R-1'],
    durationMs: 5,
    ...overrides,
  };
}

function unfinished(overrides: Partial<UnfinishedResult> = {}): UnfinishedResult {
  return { ...result(), status: 'unfinished', unfinishedReason: 'fatal', remaining: [{ key: 'a' }], ...overrides };
}

function rejected(overrides: Partial<RejectedResult> = {}): RejectedResult {
  const issues = [{ path: 'resources[0].resourceId', reason: 'resourceId is required' }];
  return {
    key: 'entry#0',
    regionId: 'cn-hangzhou',
    status: 'rejected',
    removed: [],
    calls: 0,
    attempts: 0,
    throttles: 0,
    requestIds: [],
    durationMs: 0,
    error: { code: 'InvalidManifestEntry', message: 'resources[0].resourceId: resourceId is required' },
    issues,
    ...overrides,
  };
}

function line(overrides: Partial<OutcomeLine> = {}): OutcomeLine {
  return {
    event: 'resource.outcome',
    manifestId: 'm-1',
    regionId: 'cn-hangzhou',
    resourceType: 'disk',
    resourceId: 'd-1',
    outcome: 'removed',
    removed: [],
    calls: 1,
    attempts: 1,
    requestIds: [],
    durationMs: 3,
    ...overrides,
  };
}

const clock = () => {
  let t = 1000;
  return () => (t += 10);
};

describe('ManifestReporter', () => {
  it('refuses a second outcome for the same resource', () => {
    // Prepare
    const { logger, records } = capturingLogger();
    const reporter = new ManifestReporter(logger, 'm-1', false, clock());
    reporter.report(result());
    // Act
    const again = () => reporter.report(result({ status: 'failed' }));
    // Assess
    expect(again).toThrow(/second outcome/);
    expect(records().filter((r) => r.event === 'resource.outcome')).toHaveLength(1);
  });

  it('refuses an unfinished result without a settlement', () => {
    // Prepare
    const { logger } = capturingLogger();
    const reporter = new ManifestReporter(logger, 'm-1', false, clock());
    // Act
    const act = () => reporter.report(unfinished({ unfinishedReason: 'fatal' }));
    // Assess
    expect(act).toThrow(/without a settlement/);
  });

  it('logs the outcome line of the contract, and the settlement decides an unfinished outcome', () => {
    // Prepare
    const { logger, records } = capturingLogger();
    const reporter = new ManifestReporter(logger, 'm-1', false, clock());
    const error = { code: 'SignatureDoesNotMatch', message: 'mismatch', httpStatus: 400, requestId: 'R-9' };
    // Act
    reporter.report(
      unfinished({
        unfinishedReason: 'stopped',
        removed: [],
        requestIds: [],
        remaining: [{ key: 'a' }],
        error,
      }),
      { outcome: 'deferred', error },
    );
    // Assess
    const [logged] = records();
    expect(logged).toMatchObject({
      level: 'warn',
      msg: 'resource.outcome',
      event: 'resource.outcome',
      manifestId: 'm-1',
      regionId: 'cn-hangzhou',
      resourceType: 'disk',
      resourceId: 'd-1',
      outcome: 'deferred',
      removed: [],
      calls: 1,
      attempts: 1,
      requestIds: [],
      error,
      durationMs: 5,
      remaining: [{ key: 'a' }],
    });
  });

  it('writes the fields of an outcome line in the documented order', () => {
    // Prepare
    const { logger } = capturingLogger();
    const reporter = new ManifestReporter(logger, 'm-1', false, clock());
    const error = { code: 'Throttling', message: 'slow' };
    // Act
    const line = reporter.report(unfinished({ unfinishedReason: 'deadline', error }), {
      outcome: 'deferred',
      continuationMessageId: 'c-1',
    });
    // Assess
    expect(Object.keys(line)).toStrictEqual([
      'event',
      'manifestId',
      'regionId',
      'resourceType',
      'resourceId',
      'outcome',
      'removed',
      'calls',
      'attempts',
      'requestIds',
      'error',
      'durationMs',
      'remaining',
      'continuationMessageId',
    ]);
  });

  it('logs a planned resource with its calls and a rejected entry with only the identifiers it has', () => {
    // Prepare
    const { logger } = capturingLogger();
    const reporter = new ManifestReporter(logger, 'm-1', true, clock());
    const planned = { ...result({ key: 'k1', removed: [], requestIds: [] }), status: 'planned' as const };
    // Act
    const plannedLine = reporter.report({ ...planned, plannedCalls: [[{ key: 'a' }]] });
    const rejectedLine = reporter.report(rejected({ key: 'k2' }));
    // Assess
    expect(plannedLine).toMatchObject({ outcome: 'planned', plannedCalls: [[{ key: 'a' }]] });
    expect(plannedLine).not.toHaveProperty('remaining');
    expect(Object.keys(rejectedLine)).toStrictEqual([
      'event',
      'manifestId',
      'regionId',
      'outcome',
      'removed',
      'calls',
      'attempts',
      'requestIds',
      'error',
      'durationMs',
    ]);
  });

  it('logs failed and partial outcomes at warn', () => {
    // Prepare
    const { logger, records } = capturingLogger();
    const reporter = new ManifestReporter(logger, 'm-1', false, clock());
    // Act
    reporter.report(result({ key: 'k1', status: 'failed', removed: [] }));
    reporter.report(result({ key: 'k2', status: 'partial' }));
    reporter.report(result({ key: 'k3', status: 'removed' }));
    // Assess
    expect(records().map((r) => r.level)).toStrictEqual(['warn', 'warn', 'info']);
  });

  it('sums outcomes, calls, retries, throttles and removed tags in the summary', () => {
    // Prepare
    const { logger, records } = capturingLogger();
    const reporter = new ManifestReporter(logger, 'm-1', false, clock());
    reporter.report(result({ key: 'k1', removed: [{ key: 'a' }, { key: 'b' }], calls: 2, attempts: 5, throttles: 2 }));
    reporter.report(result({ key: 'k2', status: 'failed', removed: [], calls: 1, attempts: 1 }));
    reporter.report(rejected({ key: 'k3' }));
    // Act
    const summary = reporter.finish();
    // Assess
    expect(summary).toMatchObject({
      event: 'manifest.summary',
      manifestId: 'm-1',
      dryRun: false,
      resources: 3,
      byOutcome: { removed: 1, partial: 0, failed: 1, rejected: 1, deferred: 0, planned: 0 },
      tagsRemoved: 2,
      calls: 3,
      retries: 3,
      throttled: 2,
    });
    expect(summary.durationMs).toBeGreaterThan(0);
    expect(records().at(-1)).toMatchObject({ msg: 'manifest.summary', resources: 3 });
  });
});

describe('settleWithoutQueue', () => {
  const error = { code: 'X', message: 'y' };
  it.each([
    ['fatal', [], 'deferred'],
    ['stopped', [{ key: 'a' }], 'deferred'],
    ['exhausted', [], 'failed'],
    ['exhausted', [{ key: 'a' }], 'partial'],
    ['deadline', [], 'failed'],
  ] as const)('settles %s work with %j removed as %s', (reason, removed, outcome) => {
    // Act
    const settlement = settleWithoutQueue(unfinished({ unfinishedReason: reason, removed, error }));
    // Assess
    expect(settlement).toStrictEqual({ outcome, error });
  });
});

describe('toErrorInfo', () => {
  it.each([
    [
      new ApiError('Throttling.User', 400, 'R-1', 'slow'),
      { code: 'Throttling.User', message: 'slow', httpStatus: 400, requestId: 'R-1' },
    ],
    [
      new ApiError('Http502', 502, undefined, 'bad gateway'),
      { code: 'Http502', message: 'bad gateway', httpStatus: 502 },
    ],
    [new NetworkError('ECONNRESET', 'socket hang up'), { code: 'ECONNRESET', message: 'socket hang up' }],
    [new DeadlineError('too late'), { code: 'DeadlineExceeded', message: 'too late' }],
    [new CredentialsError('none'), { code: 'CredentialsError', message: 'none' }],
    ['a string', { code: 'InternalError', message: 'a string' }],
  ])('maps %s', (error, expected) => {
    // Act
    const info = toErrorInfo(error);
    // Assess
    expect(info).toStrictEqual(expected);
  });
});

describe('toCsv', () => {
  const header =
    'manifestId,regionId,resourceType,resourceId,outcome,removed,plannedCalls,remaining,resourceGone,calls,attempts,' +
    'requestIds,errorCode,errorMessage,durationMs';

  it('writes a header and one CRLF-terminated row per outcome', () => {
    // Prepare
    const outcomes = [
      line({ resourceId: 'd-1', removed: [{ key: 'a' }, { key: 'b', value: '2' }], requestIds: ['R1', 'R2'] }),
      line({
        resourceId: 'd-2',
        outcome: 'failed',
        error: { code: 'InvalidResourceId.NotFound', message: 'not found' },
      }),
    ];
    // Act
    const csv = toCsv(outcomes);
    // Assess
    expect(csv).toBe(
      `${header}\r\n` +
        'm-1,cn-hangzhou,disk,d-1,removed,"[{""key"":""a""},{""key"":""b"",""value"":""2""}]",,,,1,1,' +
        '"[""R1"",""R2""]",,,3\r\n' +
        'm-1,cn-hangzhou,disk,d-2,failed,[],,,,1,1,[],InvalidResourceId.NotFound,not found,3\r\n',
    );
  });

  it('quotes cells with commas, quotes and line breaks (RFC 4180)', () => {
    // Prepare
    const outcomes = [line({ error: { code: 'E', message: 'said "no", then\r\nleft' } })];
    // Act
    const csv = toCsv(outcomes);
    // Assess
    expect(csv).toContain(',"said ""no"", then\r\nleft",');
  });

  it.each(['=HYPERLINK("http://x")', '+1+1', '-2+3', '@SUM(A1)', '\tcmd', '\rcmd'])(
    'neutralises a cell starting like a formula: %j',
    (message) => {
      // Prepare
      const outcomes = [line({ error: { code: 'E', message } })];
      // Act
      const csv = toCsv(outcomes);
      // Assess
      const cells = csv.split('\r\n')[1] ?? '';
      expect(cells).toContain(`'${message.replaceAll('"', '""')}`);
      expect(cells).not.toMatch(/,"?[=+\-@\t\r]/);
    },
  );

  it('keeps a formula in a tag key inside the JSON cell, where no spreadsheet runs it', () => {
    // Prepare
    const outcomes = [line({ removed: [{ key: '=cmd|calc', value: 'x' }] })];
    // Act
    const csv = toCsv(outcomes);
    // Assess
    expect(csv.split('\r\n')[1]).toContain(',"[{""key"":""=cmd|calc"",""value"":""x""}]",');
  });

  it('writes tag lists that read back exactly, whatever the keys and values hold', () => {
    // Prepare
    const removed = [{ key: 'a=b;c', value: 'x;y=z' }, { key: 'k,"q"' }, { key: 'only-key' }];
    const outcomes = [line({ removed })];
    // Act
    const row = toCsv(outcomes).split('\r\n')[1] ?? '';
    // Assess: the sixth cell is quoted JSON; undo the CSV quoting and parse it
    const cell = /^(?:[^,]*,){5}"((?:[^"]|"")*)"/.exec(row)?.[1] ?? '';
    expect(JSON.parse(cell.replaceAll('""', '"'))).toStrictEqual(removed);
  });
});
