// The functions' log as CloudWatch Logs would keep it, for tests that read what each tick decided:
// Powertools in dev mode (POWERTOOLS_DEV) writes each record as JSON through the global console, so
// the tap takes the records of one service from console.debug/info/warn/error and keeps them.
// Errors are printed as well (a test run should show them); everything else the console is asked
// to print passes through untouched. stop() puts the console back.

export interface LogRecord {
  /** When it was written (epoch ms). */
  readonly at: number;
  readonly level: string;
  readonly message: string;
  readonly fields: Readonly<Record<string, unknown>>;
}

export interface LogTap {
  readonly records: readonly LogRecord[];
  stop(): void;
}

const METHODS = ['debug', 'info', 'warn', 'error'] as const;
const EMPTY_METRICS = 'No application metrics to publish';

export function startLogTap(service: string): LogTap {
  const records: LogRecord[] = [];
  const original = Object.fromEntries(METHODS.map((m) => [m, console[m]])) as Record<(typeof METHODS)[number], (...args: unknown[]) => void>;
  const recordOf = (args: unknown[]): LogRecord | undefined => {
    const [text] = args;
    // Powertools Metrics' own warning, in plain text, after an invocation that published nothing.
    if (typeof text === 'string' && text.startsWith(EMPTY_METRICS)) return { at: Date.now(), level: 'WARN', message: text, fields: {} };
    if (args.length !== 1 || typeof text !== 'string' || !text.startsWith('{')) return undefined;
    try {
      const { level, message, ...fields } = JSON.parse(text) as Record<string, unknown>;
      if (fields.service !== service || typeof level !== 'string') return undefined;
      return { at: Date.now(), level, message: typeof message === 'string' ? message : JSON.stringify(message), fields };
    } catch {
      return undefined;
    }
  };
  for (const method of METHODS) {
    console[method] = (...args: unknown[]): void => {
      const record = recordOf(args);
      if (record) records.push(record);
      if (!record || method === 'error') original[method].apply(console, args);
    };
  }
  return {
    records,
    stop() {
      for (const method of METHODS) console[method] = original[method];
    },
  };
}
