import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { liveProcesses } from '../../lib/adapters/local/index.js';
import { processesUnder } from '../support/processes.js';
import { waitFor } from '../support/wait.js';

// `npm start` as a user runs it (minus npm's prestart hook, which `npm test` has already run).

function start(home: string, prefix: string, intervalSeconds = 1): { output: () => string; exited: Promise<number | null>; interrupt: () => void } {
  const child = spawn(process.execPath, ['--import', 'tsx', 'lib/cli/main.ts', 'start', '--home', home, '--address-prefix', prefix, '--interval', String(intervalSeconds)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return {
    output: () => output,
    exited: new Promise((resolve) => child.on('exit', (code) => resolve(code))),
    interrupt: () => child.kill('SIGINT'),
  };
}

describe('npm start', () => {
  it('creates a 3-voter cluster, runs the controller with a live status, stops every server on Ctrl-C, and resumes it next time', async () => {
    const home = mkdtempSync(join(inject('testRoot'), 'start-'));
    const prefix = `127.${200 + (process.pid % 50)}.1`;
    for (const run of ['first', 'resumed']) {
      const app = start(home, prefix);
      try {
        // The live status prints a block whenever something changes: wait for one with 3 healthy voters at rest.
        const healthyBlock = (): boolean =>
          app.output().split('\n--- ').some((block) => /next step: none: steady/.test(block) && (block.match(/^ {2}\d +voter +(leader|follower) +healthy/gm)?.length ?? 0) === 3);
        await waitFor(`the ${run} run to show 3 healthy voters at rest`, () => (healthyBlock() ? true : undefined), { timeoutMs: 40_000 });
        expect(app.output()).toContain(run === 'first' ? 'creating cluster "local" (3 voters' : 'resuming cluster "local"');
        expect(app.output()).toContain(`connect string: ${prefix}.1:2181,${prefix}.2:2181,${prefix}.3:2181`);
        expect(processesUnder(home)).toHaveLength(4); // the controller and 3 JVMs
      } finally {
        app.interrupt();
      }
      expect(await app.exited).toBe(0);
      expect(app.output()).toContain('all servers stopped');
      expect(processesUnder(home)).toEqual([]);
    }
  }, 120_000);

  // A killed leader costs an election first: the tick it wakes finds no quorum, and the controller
  // must look again within seconds, not at the next interval.
  it.each([
    ['a follower', 'follower', 2],
    ['the leader', 'leader', 3],
  ] as const)('wakes at once when %s dies, not at the next interval', async (_what, mode, subnet) => {
    const home = mkdtempSync(join(inject('testRoot'), 'start-'));
    const app = start(home, `127.${200 + (process.pid % 50)}.${subnet}`, 600);
    try {
      await waitFor('3 healthy voters at rest', () => (/next step: none: steady/.test(app.output()) ? true : undefined), { timeoutMs: 40_000 });
      const rest = app.output().split('\n--- ').findLast((block) => /next step: none: steady/.test(block)) ?? '';
      const id = new RegExp(`^ {2}(\\d) +voter +${mode} +healthy`, 'm').exec(rest)?.[1];
      const victim = liveProcesses().find((p) => p.args.at(-1) === join(home, 'clusters', 'local', 'servers', id ?? '?', 'zoo.cfg'));
      if (!victim) throw new Error(`no ${mode} found in ${rest}`);
      process.kill(victim.pid, 'SIGKILL');
      // The next tick is 10 minutes away: only the exit (and the look again it leads to) can have woken the controller.
      await waitFor(`the controller to start replacing server ${id}`, () => (new RegExp(`next step: launch: replace voter ${id}`).test(app.output()) ? true : undefined), { timeoutMs: 15_000 });
    } finally {
      app.interrupt();
    }
    expect(await app.exited).toBe(0);
    expect(processesUnder(home)).toEqual([]);
  }, 90_000);

  it('refuses a bad option with one line naming it, and starts nothing', async () => {
    const home = mkdtempSync(join(inject('testRoot'), 'start-'));
    const app = start(home, '127.0.0.300');
    expect(await app.exited).toBe(2);
    expect(app.output().trim()).toBe('zk-autoscaler: invalid npm start options: addressPrefix: must be "127.<a>.<b>" (got "127.0.0.300")');
    expect(processesUnder(home)).toEqual([]);
  }, 30_000);
});
