import { setTimeout as sleep } from 'node:timers/promises';

export interface WaitOptions {
  readonly timeoutMs: number;
  readonly intervalMs?: number;
  /** Whether an error the probe throws ends the wait at once (thrown as it is) instead of being
   * polled past. By default a failed expectation and a programming error do (isFailure); anything
   * else (a refused connection, a server not up yet) is a state to wait out. */
  readonly fatal?: (err: unknown) => boolean;
}

/** A probe's step that failed for real (a tick that failed): a wait never polls past it. */
export class StepFailedError extends Error {
  override name = 'StepFailedError';
}

/** What a probe never polls past: a failed `expect` inside it, a bug in the code it runs, or a step
 * that failed (StepFailedError, e.g. a failed tick of the AWS deployment): a heal must get there
 * without one. */
export function isFailure(err: unknown): boolean {
  if (err instanceof ReferenceError || err instanceof SyntaxError || err instanceof StepFailedError) return true;
  return err instanceof Error && err.name === 'AssertionError';
}

/** A wait that ran out of time: says how often the probe threw, and keeps the last error as its cause. */
export class WaitTimeoutError extends Error {
  constructor(what: string, timeoutMs: number, polls: number, errors: { readonly count: number; readonly last: unknown; readonly lastPollThrew: boolean }) {
    const lastPoll = errors.lastPollThrew ? 'the last one threw' : 'the last one found nothing';
    const seen = errors.count === 0 ? 'none threw' : `${errors.count} threw, ${lastPoll}; last error: ${describeError(errors.last)}`;
    super(`timed out after ${timeoutMs} ms waiting for ${what} (${polls} polls, ${seen})`, errors.count === 0 ? {} : { cause: errors.last });
    this.name = 'WaitTimeoutError';
  }
}

/** Polls `probe` until it returns a value (not undefined) or the deadline passes. A probe that
 * throws is polled again (unless `fatal` says the error is a real failure: then it is thrown at
 * once); on timeout the error names `what`, how many polls threw, and the last error with its stack. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, { timeoutMs, intervalMs = 50, fatal = isFailure }: WaitOptions): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  const errors = { count: 0, last: undefined as unknown, lastPollThrew: false };
  for (let polls = 1; ; polls++) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
      errors.lastPollThrew = false;
    } catch (err) {
      if (fatal(err)) throw err;
      Object.assign(errors, { count: errors.count + 1, last: err, lastPollThrew: true });
    }
    if (Date.now() > deadline) throw new WaitTimeoutError(what, timeoutMs, polls, errors);
    await sleep(intervalMs);
  }
}

function describeError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const stack = err.stack ?? `${err.name}: ${err.message}`;
  // The stack's first line is the message; a few frames say where it came from.
  return stack.split('\n').slice(0, 6).join('\n');
}
