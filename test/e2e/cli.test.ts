import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCommand } from '../../lib/cli/commands.js';
import { startLocalCluster, type TestCluster } from '../support/localCluster.js';

// The CLI against a real local cluster: what it shows, what it records, and how it refuses bad
// input (a clear error naming the field and value, a non-zero exit, nothing changed).

async function cli(c: TestCluster, ...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCommand([...args, '--home', c.home, '--cluster', c.cluster], { out: (t) => (out += `${t}\n`), err: (t) => (err += `${t}\n`) });
  return { code, out: out.trim(), err: err.trim() };
}

function snapshot(c: TestCluster): Record<string, string | undefined> {
  const dir = c.deps.store.clusterDir(c.cluster);
  return Object.fromEntries(['spec.json', 'state.json', 'requests.json'].map((f) => [f, existsSync(join(dir, f)) ? readFileSync(join(dir, f), 'utf8') : undefined]));
}

describe('the CLI', () => {
  it('shows status and the plan, records scale, pause, report and replace for the next tick, and publishes connect strings', async () => {
    const c = await startLocalCluster();
    const status = await cli(c, 'status');
    expect(status.code).toBe(0);
    expect(status.out).toMatch(/^cluster e2e {2}config 100000000 {2}voters 3\/3 synced \(desired 3\) {2}observers 0 \(desired 0\)/);
    expect(status.out.match(/^ {2}\d +voter +(leader|follower) +healthy/gm)).toHaveLength(3);
    expect(JSON.parse((await cli(c, 'status', '--json')).out)).toMatchObject({ cluster: 'e2e', voters: { count: 3, synced: 3 } });

    expect((await cli(c, 'plan')).out).toBe('next step: none: steady: voters stay at 3; observers stay at 0: spec asks for 0 (bounds 0..10)');
    expect(await cli(c, 'scale', '--voters', '5')).toMatchObject({ code: 0, out: 'spec of e2e: voters 3 -> 5, observers 0 -> 0; the next tick acts on it' });
    expect((await cli(c, 'plan')).out).toMatch(/^next step: launch: voters 3 -> 5: spec asks for 5 \(bounds 3\.\.7\): launch server 4 in local as a voter-to-be$/);
    expect(snapshot(c)['state.json']).not.toContain('"operation"'); // plan changed nothing
    expect((await cli(c, 'scale', '--voters', '3')).code).toBe(0);

    expect((await cli(c, 'pause')).code).toBe(0);
    expect((await cli(c, 'plan')).out).toBe('next step: wait: paused by the operator: observing only');
    expect((await cli(c, 'resume')).code).toBe(0);

    expect((await cli(c, 'report', '2', '--reason', 'slow disk'))).toMatchObject({ code: 0, out: 'server 2 reported (slow disk); probes must corroborate it before anything is replaced' });
    expect((await cli(c, 'replace', '3')).out).toBe('replacement of server 3 requested; the next tick starts it');
    expect((await cli(c, 'tick')).out).toMatch(/^acted: replace voter 3: an operator asked for it: launch server 4/);

    const strings = await cli(c, 'connect-string');
    expect(strings.code).toBe(0);
    expect(strings.out.split('\n')[0]?.split(',')).toHaveLength(3);
  }, 60_000);

  it('refuses bad input with the field and value named, a non-zero exit, and nothing changed', async () => {
    const c = await startLocalCluster();
    const before = snapshot(c);
    const processes = c.liveProcesses();

    const beyond = await cli(c, 'scale', '--voters', '9');
    expect(beyond).toMatchObject({ code: 2, err: 'zk-autoscaler: invalid scaled spec: voters.desired: must be within min..max (3..7) (got 9)' });
    const even = await cli(c, 'scale', '--voters', '4');
    expect(even.err).toContain('voters.desired: must be odd (set allowEven to allow even voter counts) (got 4)');
    expect((await cli(c, 'scale', '--voters', 'abc')).err).toMatch(/^zk-autoscaler: invalid scale arguments: voters: .* \(got "abc"\)$/);
    const bogus = await cli(c, 'scale', '--bogus', '1');
    expect(bogus.code).toBe(2);
    expect(bogus.err).toMatch(/^zk-autoscaler: invalid command line: Unknown option '--bogus'/);
    expect((await cli(c, 'frobnicate')).err).toBe('zk-autoscaler: invalid command line: command: unknown (got "frobnicate"); see --help');
    expect(await cli(c, 'replace', '42')).toMatchObject({ code: 2, err: 'zk-autoscaler: server 42 in cluster e2e not found' });
    expect((await cli(c, 'replace', '0')).err).toMatch(/serverId: .* \(got "0"\)/);
    expect((await cli(c, 'forget', '2')).err).toBe('zk-autoscaler: invalid forget: serverId: 2 is a member of the config; use replace or scale to take it out');

    const badSpec = join(c.home, 'bad-spec.json');
    writeFileSync(badSpec, JSON.stringify({ cluster: 'e2e', voters: { desired: 5, max: 3 } }));
    expect((await cli(c, 'spec', 'set', badSpec)).err).toBe(
      `zk-autoscaler: invalid spec file ${badSpec}: voters.desired: must be within min..max (3..3) (got 5)`,
    );
    expect(snapshot(c)).toEqual(before);
    expect(c.liveProcesses()).toEqual(processes);

    // A spec or state file broken on disk: the tick reports it by name and changes nothing.
    const dir = c.deps.store.clusterDir(c.cluster);
    writeFileSync(join(dir, 'state.json'), JSON.stringify({ schemaVersion: 1, cluster: 'e2e', nextServerId: 'four' }));
    const brokenState = snapshot(c);
    const tick = await cli(c, 'tick');
    expect(tick.code).toBe(1);
    expect(tick.out).toContain(`failed: invalid state file ${join(dir, 'state.json')}: nextServerId: Invalid input: expected number, received string (got "four")`);
    writeFileSync(join(dir, 'spec.json'), '{"cluster": "e2e", "voters": ');
    expect((await cli(c, 'status')).err).toMatch(new RegExp(`^zk-autoscaler: invalid file ${join(dir, 'spec.json')}: \\(root\\): not JSON`));
    expect(snapshot(c)).toEqual({ ...brokenState, 'spec.json': '{"cluster": "e2e", "voters": ' });
    expect(c.liveProcesses()).toEqual(processes);
  }, 60_000);
});
