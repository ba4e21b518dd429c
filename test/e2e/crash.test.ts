import { describe, expect, it } from 'vitest';
import type { TickResult } from '../../lib/controller/index.js';
import { voterIds } from '../../lib/core/index.js';
import { crashingOnce, type CrashCall, type CrashWhen } from '../support/crashes.js';
import { atRest, startLocalCluster } from '../support/localCluster.js';

// A tick killed at every step boundary of scale-out and of replace, in turn: each time the next
// ticks converge to the same membership, with no duplicate server and no orphan process.

const boundaries: [string, CrashCall, CrashWhen][] = [
  ['after persisting, before the launch', 'launch', 'before'],
  ['right after the launch', 'launch', 'after'],
  ['before the reconfig', 'reconfig', 'before'],
  ['right after the reconfig', 'reconfig', 'after'],
];

/** What the ticks did and why, for the message of a failed expectation (a wrong membership is
 * explained only by the decisions that led to it). */
function actions(c: Awaited<ReturnType<typeof startLocalCluster>>): string {
  const lines = c.logLines
    .map((line) => JSON.parse(line) as { message: string; level: string; step?: string; serverId?: number; status?: string; evidence?: string })
    .filter((l) => (l.step !== undefined && l.step !== 'none' && l.step !== 'wait') || l.level === 'warn' || /^(launched|terminated|reconfig)/.test(l.message))
    .map((l) => (l.message === 'failure report' ? `report: server ${l.serverId ?? '-'} ${l.status}: ${l.evidence}` : `${l.level} ${l.message}`));
  return lines.filter((l, i) => l !== lines[i - 1]).slice(-40).join('\n');
}

/** The failed ticks' reasons. */
function failures(results: readonly TickResult[]): string[] {
  return results.filter((r) => r.outcome === 'failed').map((r) => r.why);
}

async function converges(c: Awaited<ReturnType<typeof startLocalCluster>>, voters: number): Promise<void> {
  const results = await c.tickUntil(`${voters} voters at rest`, (r) => atRest(r, voters), { timeoutMs: 60_000, intervalMs: 100 });
  // The injected crash was the one failure: the ticks that resume it do not fail.
  expect(failures(results), actions(c)).toEqual([]);
  const config = await c.config();
  expect(voterIds(config.members).size).toBe(voters);
  // No duplicate and no orphan: exactly one live JVM per member, and nothing else.
  expect(c.processes.list().filter((s) => s.pid !== undefined).map((s) => s.serverId)).toEqual(config.members.map((m) => m.serverId));
  expect(c.liveProcesses()).toHaveLength(config.members.length);
  expect((await c.deps.store.readState(c.cluster))?.state.operation).toBeUndefined();
}

describe('a tick killed mid-operation is resumed by the next', () => {
  it.each(boundaries)('scale-out 3 -> 5, killed %s', async (_, call, when) => {
    const c = await startLocalCluster();
    await c.setSpec((s) => ({ ...s, voters: { ...s.voters, desired: 5 } }));
    const crashing = crashingOnce(c.deps, call, when);
    const before: TickResult[] = [];
    for (let i = 0; i < 40 && !crashing.crashed(); i++) before.push(await c.tick(crashing));
    expect(crashing.crashed()).toBe(true);
    expect(failures(before)).toEqual([`tick killed ${when} ${call}`]);
    await converges(c, 5);
    expect((await c.config()).members.map((m) => m.serverId), actions(c)).toEqual([1, 2, 3, 4, 5]);
  }, 90_000);

  it.each([...boundaries, ['before the swapped-out server is stopped', 'terminate', 'before'] as [string, CrashCall, CrashWhen]])(
    'replace of a killed voter, killed %s',
    async (_, call, when) => {
      const c = await startLocalCluster();
      await c.processes.stop(2, 'kill');
      const crashing = crashingOnce(c.deps, call, when);
      const before: TickResult[] = [];
      for (let i = 0; i < 60 && !crashing.crashed(); i++) before.push(await c.tick(crashing));
      expect(crashing.crashed()).toBe(true);
      expect(failures(before)).toEqual([`tick killed ${when} ${call}`]);
      await converges(c, 3);
      expect((await c.config()).members.map((m) => m.serverId), actions(c)).toEqual([1, 3, 4]);
    },
    90_000,
  );
});
