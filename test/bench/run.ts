// `npm run bench`: measures, prints a table and writes BENCHMARKS.md with the machine and the date.
// Figures are measurements on a shared machine, never assertions.
import { writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { measureCoreThroughput } from './coreThroughput.js';

const smoke = process.argv.includes('--smoke');
const stats = (values: number[]): { min: number; median: number; max: number } => {
  const sorted = [...values].sort((a, b) => a - b);
  return { min: sorted[0] ?? 0, median: sorted[Math.floor(sorted.length / 2)] ?? 0, max: sorted[sorted.length - 1] ?? 0 };
};

const core = measureCoreThroughput(smoke ? { runs: 1, msPerRun: 200 } : {});
const s = stats(core.runs);
const rows = [['core decisions/s (7 voters, 10 observers, detect+decide+plan)', s.min, s.median, s.max, core.runs.length, '>= 10,000']];

const machine = `${cpus().length} x ${cpus()[0]?.model ?? 'unknown CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${process.platform}`;
const date = new Date().toISOString().slice(0, 10);
const table = [
  '| figure | min | median | max | runs | goal |',
  '| --- | ---: | ---: | ---: | ---: | --- |',
  ...rows.map((r) => `| ${r[0]} | ${r.slice(1, 4).map((n) => Number(n).toLocaleString('en-US')).join(' | ')} | ${r[4]} | ${r[5]} |`),
].join('\n');
console.log(`machine: ${machine}\ndate: ${date}\n\n${table}`);
if (!smoke) {
  writeFileSync(
    'BENCHMARKS.md',
    `# Benchmarks\n\nWritten by \`npm run bench\`. Measured on a shared machine: read them as orders of magnitude.\n\n- machine: ${machine}\n- date: ${date}\n\n${table}\n`,
  );
}
