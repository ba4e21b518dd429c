import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { ClusterSpecSchema, parseJsonText, parseOrThrow, SimulateOptionsSchema } from '../config/index.js';
import { InvalidInputError, NotFoundError } from '../errors.js';
import { parseTrace, renderRunSvg, simulate } from '../sim/index.js';
import { parseCommandLine } from './args.js';
import type { Io } from './commands.js';

// `simulate`: the fleet simulator on a trace of your own: the real core through simulated minutes.

const DEFAULT_SPEC = {
  cluster: 'simulated',
  zones: [{ name: 'a' }, { name: 'b' }, { name: 'c' }],
  observers: { min: 0, desired: 0, max: 10 },
  load: { targets: { requestsPerSecond: 1000 } },
};

export async function runSimulate(argv: readonly string[], io: Io): Promise<number> {
  const { options, positionals } = parseCommandLine(argv, ['trace', 'spec', 'capacity', 'failure-rate', 'seed', 'zone-outage', 'out'], ['json']);
  if (positionals.length > 0) throw new InvalidInputError('command line', [`unexpected argument ${JSON.stringify(positionals[0])}`]);
  const o = parseOrThrow(SimulateOptionsSchema, options, 'simulate options');
  const read = (path: string): string => {
    if (!existsSync(path)) throw new NotFoundError(`file ${path}`, { path });
    return readFileSync(path, 'utf8');
  };
  const trace = parseTrace(read(o.trace), `trace ${o.trace}`);
  const spec = parseOrThrow(ClusterSpecSchema, o.spec ? parseJsonText(read(o.spec), `spec file ${o.spec}`) : DEFAULT_SPEC, o.spec ? `spec file ${o.spec}` : 'default spec');
  const outage = o.zoneOutage ? /^(.+):(\d+)-(\d+)$/.exec(o.zoneOutage) : null;
  const report = simulate({
    spec,
    trace,
    serverCapacity: o.capacity,
    failureRate: o.failureRate,
    seed: o.seed,
    ...(outage ? { zoneOutage: { zone: outage[1] as string, fromMinute: Number(outage[2]), toMinute: Number(outage[3]) } } : {}),
    keepSamples: o.out !== undefined,
  });
  if (o.out) writePicture(o.out, renderRunSvg(`zk-autoscaler simulation of ${o.trace}`, report.samples));
  const { samples: _samples, ...summary } = report;
  io.out(
    o.json
      ? JSON.stringify(summary)
      : [
          `${summary.minutes} minutes simulated (${summary.ticksStepped} stepped through the core, the rest steady)`,
          `actions: ${summary.actions.launches} launches, ${summary.actions.reconfigs} reconfigs, ${summary.actions.terminations} terminations`,
          `quorum available ${(summary.quorumAvailability * 100).toFixed(2)}% of minutes; under capacity ${summary.minutesUnderCapacity} minutes`,
          `server-minutes ${summary.serverMinutes} vs ${summary.oracleServerMinutes} for an ideal oracle; flaps ${summary.flaps}; failures injected ${summary.failuresInjected}`,
          ...(o.out ? [`picture: ${o.out}`] : []),
        ].join('\n'),
  );
  return 0;
}

/** Writes the SVG, and a PNG beside it where rsvg-convert is installed; returns the paths written. */
export function writePicture(svgPath: string, svg: string): string[] {
  writeFileSync(svgPath, svg);
  if (!svgPath.endsWith('.svg') || spawnSync('rsvg-convert', ['--version']).status !== 0) return [svgPath];
  const png = svgPath.replace(/\.svg$/, '.png');
  return spawnSync('rsvg-convert', [svgPath, '-o', png]).status === 0 ? [svgPath, png] : [svgPath];
}
