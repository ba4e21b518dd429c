// `npm run bench`: measures, prints a table and writes BENCHMARKS.md with the machine and the date.
// Figures are measurements on a shared machine, never assertions. `--smoke` runs each part once,
// briefly, and writes nothing (CI runs it).
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { measureBundles } from './bundle.js';
import { measureCoreThroughput } from './coreThroughput.js';
import { measureCost } from './cost.js';
import { measureMttr } from './mttr.js';
import { measureSimulator } from './simulator.js';

const smoke = process.argv.includes('--smoke');
type Row = readonly [figure: string, values: readonly number[], unit: string, goal: string];

function stats(values: readonly number[]): string {
  const sorted = [...values].sort((a, b) => a - b);
  const f = (n: number | undefined): string => (n === undefined ? '-' : Number(n.toFixed(2)).toLocaleString('en-US'));
  return `${f(sorted[0])} | ${f(sorted[Math.floor(sorted.length / 2)])} | ${f(sorted.at(-1))} | ${sorted.length}`;
}

async function main(): Promise<void> {
  const rows: Row[] = [];
  const notes: string[] = [];
  const step = (name: string): void => void process.stderr.write(`bench: ${name}...\n`);

  step('core throughput');
  const core = measureCoreThroughput(smoke ? { runs: 1, msPerRun: 200 } : {});
  rows.push(['core decisions/s (7 voters + 10 observers; detect, decide, plan)', core.runs, '/s', '>= 10,000']);

  step('MTTR on real ZooKeeper');
  const mttr = await measureMttr(smoke ? 1 : 5);
  rows.push(['MTTR: kill -9 a voter -> 3 synced voters (50 ms ticks)', mttr.map((r) => r.totalMs), 'ms', '']);
  rows.push(['  detection (kill -> launch step)', mttr.map((r) => r.detectionMs), 'ms', '']);
  rows.push(['  launch to answering (the launch step)', mttr.map((r) => r.launchMs), 'ms', '']);
  rows.push(['  sync (answering -> synced, swap planned)', mttr.map((r) => r.syncMs), 'ms', '']);
  rows.push(['  reconfig commit (the swap step)', mttr.map((r) => r.reconfigMs), 'ms', '']);
  rows.push(['floor: JVM start -> synced -> one swap, by hand', mttr.map((r) => r.floorMs), 'ms', '']);
  rows.push(['MTTR / floor', mttr.map((r) => r.totalMs / r.floorMs), 'x', '']);
  notes.push('Detection is near zero locally because a dead JVM is a stopped instance (the EC2 fast path); a server that hangs without dying is failed after n missed probes (default 3 ticks).');

  step('AWS calls');
  const cost = await measureCost();
  notes.push(`AWS calls per cluster per steady tick: ${JSON.stringify(cost.steadyTick)}; SSM writes per steady hour: ${cost.ssmWritesPerSteadyHour}.`);
  notes.push(`One replacement of a failed voter (launch, swap, terminate; ${cost.replacement.ticks} ticks): ${JSON.stringify(cost.replacement)}.`);

  step('simulator');
  if (!smoke) mkdirSync('docs/img', { recursive: true });
  const sim = measureSimulator(smoke ? undefined : 'docs/img/simulated-day.svg');
  rows.push(['simulator ticks/s (one cluster, real core)', [sim.ticksPerSecond], '/s', '']);
  notes.push(
    `Simulated day (diurnal trace, 0.05%/min failures): ${JSON.stringify(sim.day)}. A year of one-minute ticks for 100 clusters would take ~${sim.yearOf100ClustersSeconds.toLocaleString('en-US')} s at this rate (goal: seconds; not met).`,
  );
  notes.push(`Zone outage (zone a down 90 min, 3 zones): quorum availability ${sim.outage.spread} with voters spread, ${sim.outage.pack} with voters packed.`);

  step('Lambda bundles');
  const bundles = await measureBundles(smoke ? 1 : 5);
  for (const [fn, bytes] of Object.entries(bundles.zipBytes)) rows.push([`${fn}.zip size`, [bytes / 1024], 'KiB', '<= 1,536']);
  for (const [fn, ms] of Object.entries(bundles.coldImportMs)) rows.push([`${fn} cold import (fresh node process)`, ms, 'ms', '<= 300']);

  const machine = `${cpus().length} x ${cpus()[0]?.model ?? 'unknown CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${process.platform}`;
  const date = new Date().toISOString().slice(0, 10);
  const table = ['| figure | min | median | max | runs | unit | goal |', '| --- | ---: | ---: | ---: | ---: | --- | --- |', ...rows.map(([f, v, u, g]) => `| ${f} | ${stats(v)} | ${u} | ${g} |`)].join('\n');
  const text = `machine: ${machine}\ndate: ${date}\n\n${table}\n\n${notes.map((n) => `- ${n}`).join('\n')}\n`;
  process.stdout.write(text);
  if (!smoke) {
    writeFileSync(
      'BENCHMARKS.md',
      `# Benchmarks\n\nWritten by \`npm run bench\`. Measured on a shared 2-core machine: read them as orders of magnitude, not SLAs.\n\n${text}\n![A simulated day](docs/img/simulated-day.svg)\n`,
    );
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
