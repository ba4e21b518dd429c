import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCommand } from '../../lib/cli/commands.js';
import { ClusterSpecSchema } from '../../lib/config/index.js';
import { InvalidInputError } from '../../lib/errors.js';
import { parseTrace, renderRunSvg, simulate } from '../../lib/sim/index.js';

// The fleet simulator: the real core through simulated minutes.

const TRACES = join(import.meta.dirname, '..', '..', 'lib', 'sim', 'traces');
const threeZones = [{ name: 'a' }, { name: 'b' }, { name: 'c' }];

describe('the simulator', () => {
  it('keeps the quorum through a zone outage when voters are spread over three zones, and loses it when they are packed', () => {
    const flat = Array.from({ length: 240 }, () => 1000);
    const outage = { zone: 'a', fromMinute: 60, toMinute: 150 };
    const spread = simulate({ spec: ClusterSpecSchema.parse({ cluster: 's', zones: threeZones, zonePolicy: 'spread' }), trace: flat, serverCapacity: 5000, zoneOutage: outage });
    const packed = simulate({ spec: ClusterSpecSchema.parse({ cluster: 'p', zones: threeZones, zonePolicy: 'pack' }), trace: flat, serverCapacity: 5000, zoneOutage: outage });
    expect(spread.quorumAvailability).toBe(1);
    expect(packed.quorumAvailability).toBeLessThan(1);
    expect(packed.samples.filter((s) => !s.quorum).map((s) => s.minute)[0]).toBe(60);
  });

  it('follows a day of diurnal read load with observers, without flapping, and heals injected failures', () => {
    const spec = ClusterSpecSchema.parse({
      cluster: 'day',
      zones: threeZones,
      observers: { min: 0, desired: 0, max: 8 },
      load: { targets: { requestsPerSecond: 1000 }, scaleInStabilizationSeconds: 900 },
    });
    const trace = parseTrace(readFileSync(join(TRACES, 'diurnal-day.csv'), 'utf8'), 'diurnal-day.csv');
    const report = simulate({ spec, trace, serverCapacity: 1300, failureRate: 0.0005, seed: 42 });
    expect(report.minutes).toBe(1440);
    expect(Math.max(...report.samples.map((s) => s.observers))).toBeGreaterThan(2);
    expect(report.samples.at(-1)?.observers).toBeLessThan(Math.max(...report.samples.map((s) => s.observers)));
    expect(report.flaps).toBe(0);
    expect(report.failuresInjected).toBeGreaterThan(0);
    expect(report.quorumAvailability).toBe(1);
    expect(report.serverMinutes).toBeGreaterThanOrEqual(report.oracleServerMinutes * 0.9);
    expect(renderRunSvg('a day', report.samples)).toMatch(/^<svg [\s\S]*<polyline[\s\S]*<\/svg>\n$/);
  });

  it('skips steady minutes without changing the run: the same report and samples as stepping every minute', () => {
    const spec = ClusterSpecSchema.parse({ cluster: 'day', zones: threeZones, observers: { min: 0, desired: 0, max: 8 }, load: { targets: { requestsPerSecond: 1000 }, scaleInStabilizationSeconds: 900 } });
    const trace = parseTrace(readFileSync(join(TRACES, 'diurnal-day.csv'), 'utf8'), 'diurnal-day.csv');
    const scenario = { spec, trace, serverCapacity: 1300, failureRate: 0.001, seed: 3, zoneOutage: { zone: 'a', fromMinute: 500, toMinute: 600 } };
    const { ticksStepped: skipping, ...skipped } = simulate(scenario);
    const { ticksStepped: everyMinute, ...stepped } = simulate({ ...scenario, stepEveryMinute: true });
    expect(skipped).toEqual(stepped);
    expect(everyMinute).toBe(1440);
    expect(skipping).toBeLessThan(300);
  });

  it('refuses a malformed trace, naming the line', () => {
    expect(() => parseTrace('minute,requests_per_second\n0,10\n1,ten\n', 'my.csv')).toThrow(InvalidInputError);
    expect(() => parseTrace('minute,requests_per_second\n0,10\n1,ten\n', 'my.csv')).toThrow('invalid my.csv: line 3: expected "minute,requests_per_second" (got "1,ten")');
    expect(() => parseTrace('0,10\n2,10\n', 'gap.csv')).toThrow('line 2: minute 2 out of order (expected 1)');
  });
});

describe('zk-autoscaler simulate', () => {
  it('runs a trace of the user\'s through the simulator, prints the report and draws the run', async () => {
    const out = join(tmpdir(), `sim-${process.pid}.svg`);
    let text = '';
    const code = await runCommand(['simulate', '--trace', join(TRACES, 'flash-crowd.csv'), '--capacity', '1300', '--zone-outage', 'a:100-160', '--out', out], { out: (t) => (text += t), err: (t) => (text += t) });
    expect(code).toBe(0);
    expect(text).toMatch(/^1440 minutes simulated \(\d+ stepped through the core, the rest steady\)\nactions: \d+ launches/);
    expect(readFileSync(out, 'utf8')).toMatch(/^<svg /);
    let error = '';
    expect(await runCommand(['simulate', '--trace', join(TRACES, 'flash-crowd.csv'), '--zone-outage', 'a100'], { out: () => undefined, err: (t) => (error += t) })).toBe(2);
    expect(error).toBe('zk-autoscaler: invalid simulate options: zoneOutage: must be zone:fromMinute-toMinute, e.g. a:600-690 (got "a100")');
  });
});
