import { describe, expect, it } from 'vitest';
import { createLogger } from '../../lib/logger.ts';

function capture() {
  const lines: string[] = [];
  const logger = createLogger({ level: 'debug', destination: { write: (line: string) => void lines.push(line) } });
  return { logger, records: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('createLogger', () => {
  it('adds an event equal to the message to a line that has none, first among the fields', () => {
    // Prepare
    const { logger, records } = capture();
    // Act
    logger.warn({ attempt: 2 }, 'call.retry');
    logger.info('run.started');
    // Assess
    expect(records()).toMatchObject([
      { level: 'warn', event: 'call.retry', attempt: 2, msg: 'call.retry' },
      { level: 'info', event: 'run.started', msg: 'run.started' },
    ]);
    expect(Object.keys(records()[0] ?? {}).slice(0, 3)).toStrictEqual(['level', 'time', 'event']);
  });

  it('keeps the event a line names itself', () => {
    // Prepare
    const { logger, records } = capture();
    // Act
    logger.info({ event: 'resource.outcome', outcome: 'removed' }, 'resource.outcome');
    // Assess
    expect(records()).toMatchObject([{ event: 'resource.outcome', outcome: 'removed' }]);
  });

  it('gives child loggers the same rule, and keeps redacting', () => {
    // Prepare
    const { logger, records } = capture();
    // Act
    logger.child({ awsRequestId: 'r-1' }).error({ accessKeySecret: 'sk' }, 'invocation.fatal');
    // Assess
    expect(records()).toMatchObject([
      { event: 'invocation.fatal', awsRequestId: 'r-1', accessKeySecret: '[redacted]', msg: 'invocation.fatal' },
    ]);
  });

  it('gives an Error line its event too, and keeps the message under err', () => {
    // Prepare
    const { logger, records } = capture();
    // Act
    logger.error(new Error('boom'), 'handler.crashed');
    // Assess
    expect(records()[0]).toMatchObject({ event: 'handler.crashed', msg: 'handler.crashed', err: { message: 'boom' } });
  });
});
