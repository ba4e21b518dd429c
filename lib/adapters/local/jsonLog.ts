import type { Log } from '../../ports/index.js';

// Structured JSON logs, one object per line: time, level, message, then the fields (and the
// persistent fields of a child logger: cluster, tickId, trigger). Bigints are written in hex.

type Level = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<Level, number> = { debug: 0, info: 1, warn: 2, error: 3 };

export function jsonLog(write: (line: string) => void, minLevel: Level = 'info', fields: Record<string, unknown> = {}): Log {
  const emit = (level: Level, message: string, extra?: Record<string, unknown>): void => {
    if (ORDER[level] < ORDER[minLevel]) return;
    write(`${JSON.stringify({ time: new Date().toISOString(), level, message, ...fields, ...extra }, jsonSafe)}\n`);
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (more) => jsonLog(write, minLevel, { ...fields, ...more }),
  };
}

function jsonSafe(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString(16);
  if (value instanceof Error) return { name: value.name, message: value.message, ...('context' in value ? { context: value.context } : {}) };
  return value;
}
