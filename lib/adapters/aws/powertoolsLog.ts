import type { Logger } from '@aws-lambda-powertools/logger';
import type { Log } from '../../ports/index.js';

/** Our narrow Log on a Powertools Logger; a child per cluster, never keys appended to the shared one. */
export function powertoolsLog(logger: Logger): Log {
  const fields = (f?: Record<string, unknown>): Record<string, unknown> => JSON.parse(JSON.stringify(f ?? {}, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString(16) : v)));
  return {
    debug: (m, f) => logger.debug(m, fields(f)),
    info: (m, f) => logger.info(m, fields(f)),
    warn: (m, f) => logger.warn(m, fields(f)),
    error: (m, f) => logger.error(m, fields(f)),
    child: (more) => powertoolsLog(logger.createChild({ persistentKeys: fields(more) })),
  };
}
