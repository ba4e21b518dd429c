import { describe, expect, it } from 'vitest';
import { StepFailedError, WaitTimeoutError, waitFor } from '../support/wait.js';

// The tests' one wait: it polls past a state not reached yet, never past a real failure, and says
// on timeout what the probe last threw.

describe('waitFor', () => {
  it('polls past errors until the probe answers', async () => {
    let polls = 0;
    const value = await waitFor('a server up', () => {
      polls++;
      if (polls < 3) throw new Error('connect ECONNREFUSED 127.0.0.1:2181');
      return 'up';
    }, { timeoutMs: 1_000, intervalMs: 1 });
    expect([value, polls]).toEqual(['up', 3]);
  });

  it('times out naming what it waited for, how many polls threw, and the last error with its stack as the cause', async () => {
    let polls = 0;
    const failed = waitFor('a tick that heals', () => {
      polls++;
      throw new Error(`no quorum yet: attempt ${polls}`);
    }, { timeoutMs: 30, intervalMs: 5 });
    const error = await failed.catch((err: unknown) => err);
    expect(error).toBeInstanceOf(WaitTimeoutError);
    const message = (error as Error).message;
    expect(message).toMatch(new RegExp(`^timed out after 30 ms waiting for a tick that heals \\(${polls} polls, ${polls} threw, the last one threw; last error: Error: no quorum yet: attempt ${polls}\\n    at `));
    expect((error as Error).cause).toBeInstanceOf(Error);
    expect(((error as Error).cause as Error).message).toBe(`no quorum yet: attempt ${polls}`);
  });

  it('still reports the last error when the last polls found nothing', async () => {
    let polls = 0;
    const error = await waitFor('3 voters', () => {
      polls++;
      if (polls === 1) throw new Error('no leader yet');
      return undefined;
    }, { timeoutMs: 30, intervalMs: 5 }).catch((err: unknown) => err as Error);
    if (!(error instanceof Error)) throw new Error('no timeout');
    expect(error.message).toContain('1 threw, the last one found nothing; last error: Error: no leader yet');
  });

  it('says when no poll threw', async () => {
    const error = await waitFor('never', () => undefined, { timeoutMs: 10, intervalMs: 2 }).catch((err: unknown) => err as Error);
    if (!(error instanceof Error)) throw new Error('no timeout');
    expect(error.message).toMatch(/^timed out after 10 ms waiting for never \(\d+ polls, none threw\)$/);
    expect(error.cause).toBeUndefined();
  });

  it('ends at once on a failed expectation or a programming error inside the probe', async () => {
    let polls = 0;
    const assertion = waitFor('an assertion', () => {
      polls++;
      expect(polls).toBe(0);
      return true;
    }, { timeoutMs: 5_000, intervalMs: 1 });
    await expect(assertion).rejects.toThrow(/expected 1 to be \+0/);
    expect(polls).toBe(1);
    const bug = waitFor('a bug', () => (undefined as unknown as { x: () => number }).x(), { timeoutMs: 5_000, intervalMs: 1, fatal: (err) => err instanceof TypeError });
    await expect(bug).rejects.toThrow(TypeError);
  });

  it('ends at once on a failed tick (as the AWS deployment reports one), and on whatever `fatal` names', async () => {
    let polls = 0;
    const failing = waitFor('a heal', () => {
      polls++;
      throw new StepFailedError('tick failed: lease of orders lost');
    }, { timeoutMs: 5_000, intervalMs: 1 });
    await expect(failing).rejects.toThrow('tick failed: lease of orders lost');
    expect(polls).toBe(1);
    const refused = waitFor('a server', () => {
      throw new Error('connect ECONNREFUSED');
    }, { timeoutMs: 5_000, intervalMs: 1, fatal: () => true });
    await expect(refused).rejects.toThrow('connect ECONNREFUSED');
  });
});
