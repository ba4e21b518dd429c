// `npm run bench`: measures, prints a table and writes BENCHMARKS.md with the machine and the date.
// Figures are measurements on a shared machine, never assertions. `--smoke` runs each part once,
// briefly, and writes nothing (CI runs it).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { FOLLOW_UP } from '../../lib/controller/triggers.js';
import { measureAdversarial } from './adversarial.js';
import { measureAwsPath } from './awsPath.js';
import { measureClusters } from './clusters.js';
import { measureBundles } from './bundle.js';
import { measureCoreThroughput } from './coreThroughput.js';
import { measureCost } from './cost.js';
import { measureDisturbance } from './disturbance.js';
import { HUNG_FAIL_AFTER_SECONDS, measureMttr, type MttrRun } from './mttr.js';
import { measureSimulator } from './simulator.js';

const smoke = process.argv.includes('--smoke');
type Row = readonly [figure: string, values: readonly number[], unit: string, goal: string];

function stats(values: readonly number[]): string {
  const sorted = [...values].sort((a, b) => a - b);
  const f = (n: number | undefined): string => (n === undefined ? '-' : Number(n.toFixed(2)).toLocaleString('en-US'));
  return `${f(sorted[0])} | ${f(sorted[Math.floor(sorted.length / 2)])} | ${f(sorted.at(-1))} | ${sorted.length}`;
}

async function measureDisturbanceRuns(step: (name: string) => void): Promise<Awaited<ReturnType<typeof measureDisturbance>>[]> {
  step('disturbance (controller vs rolling restart)');
  const runs = [];
  for (let i = 0; i < 3; i++) runs.push(await measureDisturbance());
  return runs;
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
  const floors = mttr.flatMap((r) => (r.floorMs === undefined ? [] : [r.floorMs]));
  rows.push(['floor: JVM start -> synced -> one swap, by hand', floors, 'ms', '']);
  rows.push(['MTTR / floor', mttr.flatMap((r) => (r.floorMs === undefined ? [] : [r.totalMs / r.floorMs])), 'x', '']);
  step('hot spare on real ZooKeeper');
  const spareCases = [
    { failure: 'kill', victim: 'follower', what: 'kill -9 a follower' },
    { failure: 'kill', victim: 'leader', what: 'kill -9 the leader' },
    { failure: 'hang', victim: 'follower', what: `SIGSTOP a follower (failAfterSeconds ${HUNG_FAIL_AFTER_SECONDS})` },
  ] as const;
  // The smoke run (CI) measures the first case only: the figures are the full run's.
  for (const { failure, victim, what } of smoke ? spareCases.slice(0, 1) : spareCases) {
    const spare = await measureMttr(smoke ? 1 : 5, { hotSpares: 1, failure, victim });
    // Judged run by run: from the swap step (the failure detected and, for a killed leader,
    // ZooKeeper's recovery: its election, then the spare following the new leader, which nothing
    // commits before) to 3 synced voters. A hung server costs every tick its probe deadline, so its
    // heal is ticks of 1.5 s: shown, not judged (the issue's goal is for kill -9).
    const judged = failure === 'kill';
    const leader = victim === 'leader';
    rows.push([`MTTR with 1 hot spare: ${what} -> 3 synced voters (50 ms ticks)`, spare.map((r) => r.totalMs), 'ms', judged ? `detection${leader ? ' + election + spare resync' : ''} + <= 500` : '']);
    rows.push(['  detection (failure -> the tick that fails it)', spare.map((r) => r.failedMs), 'ms', '']);
    if (leader) {
      rows.push(['  election (-> a new leader serves; ZooKeeper)', spare.map((r) => r.quorumMs - r.failedMs), 'ms', '']);
      rows.push(['  spare resync (-> the swap step: the spare follows the new leader; ZooKeeper)', spare.map((r) => r.detectionMs - r.quorumMs), 'ms', '']);
    }
    // A follower's swap counts from the tick that fails it; a leader's from the swap step (after
    // the election and the spare's resync, the rows above): every part of the total is in a row.
    const healFrom = (r: MttrRun): number => (leader ? r.detectionMs : r.failedMs);
    rows.push([`  swap (${leader ? 'the swap step' : 'the tick that fails it'} -> 3 synced voters)`, spare.map((r) => r.totalMs - healFrom(r)), 'ms', judged ? '<= 500' : '']);
    if (judged) rows.push(['  runs whose swap is within 500 ms', [spare.filter((r) => r.totalMs - healFrom(r) <= 500).length], 'runs', `all ${spare.length}`]);
  }
  notes.push(
    'Hot spares (issue 14): the same cluster with `hotSpares: 1` (3 voters and a synced non-voting follower outside the config) heals a killed voter with ONE reconfig that swaps the spare in: no launch, no boot, no sync; the spare is launched again afterwards. A killed leader first costs an election (ZooKeeper: nothing commits without a leader), and the spare follows the new leader before it is swapped in (the controller waits for it rather than launch). Each run is judged on its own: from the swap step (detection, and for a killed leader the election and the resync of the spare) to 3 synced voters within 500 ms.',
  );
  step('hung voter on real ZooKeeper');
  const hung = await measureMttr(smoke ? 1 : 5, { failure: 'hang' });
  rows.push([`MTTR: SIGSTOP a voter -> 3 synced voters (failAfterSeconds ${HUNG_FAIL_AFTER_SECONDS}, 50 ms ticks)`, hung.map((r) => r.totalMs), 'ms', '']);
  rows.push(['  detection (hang -> launch step)', hung.map((r) => r.detectionMs), 'ms', '']);
  rows.push(['  launch + sync + swap (launch step -> swap committed)', hung.map((r) => r.launchMs + r.syncMs + r.reconfigMs), 'ms', '']);
  notes.push(`A hung voter (SIGSTOP: its JVM alive, answering nothing) costs each tick one probe deadline, never a config read (read through the first of three serving servers); it is failed after ${HUNG_FAIL_AFTER_SECONDS} s of missed probes (and 3 misses), then healed like a dead one.`);

  // The rolling-restart half sometimes never gets its servers serving again (issue 18, cause not
  // established): the run says so and the other figures are still measured.
  const disturbance = smoke ? undefined : await measureDisturbanceRuns(step).catch((err: unknown) => (err instanceof Error ? err : new Error(String(err))));
  if (disturbance instanceof Error) notes.push(`Disturbance: not measured this run: ${disturbance.message} (the rolling-restart half; see issue 18).`);
  else if (disturbance) {
    const runs = disturbance;
    const failed = (r: { failed: Readonly<Record<string, number>> }): number => Object.values(r.failed).reduce((a, b) => a + b, 0);
    for (const [label, key] of [['dynamic reconfig (the controller)', 'reconfig'], ['rolling restart of static configs', 'rollingRestart']] as const) {
      rows.push([`disturbance, ${label}: failed client ops`, runs.map((r) => failed(r[key])), 'ops', '']);
      rows.push([`disturbance, ${label}: longest gap without a successful op`, runs.map((r) => r[key].longestGapMs), 'ms', '']);
      rows.push([`disturbance, ${label}: acknowledged writes lost`, runs.map((r) => r[key].lostWrites), 'writes', 'must be 0']);
      rows.push([`disturbance, ${label}: time for the three changes`, runs.map((r) => r[key].seconds), 's', '']);
    }
    rows.push(['disturbance ratio: rolling restart / reconfig, failed ops', runs.map((r) => failed(r.rollingRestart) / Math.max(1, failed(r.reconfig))), 'x', '']);
    rows.push(['disturbance ratio: rolling restart / reconfig, longest gap', runs.map((r) => r.rollingRestart.longestGapMs / Math.max(1, r.reconfig.longestGapMs)), 'x', '']);
    notes.push(
      `Disturbance: 3 -> 5 -> 3 voters, then the leader replaced, while 2 clients do 100 ops/s (half reads, half writes); failures by class, last run: reconfig ${JSON.stringify(runs.at(-1)?.reconfig.failed)}, rolling restart ${JSON.stringify(runs.at(-1)?.rollingRestart.failed)}. The rolling restart shrinks by stopping the two extra servers first (the order that keeps a quorum).`,
    );
  }

  step('AWS calls');
  const cost = await measureCost();
  notes.push(
    `AWS calls per cluster per steady tick: ${JSON.stringify(cost.steadyTick)}; SSM writes per steady hour: ${cost.ssmWritesPerSteadyHour}; the super password is read (and decrypted) only when a launch or a reconfig needs it, never on a steady tick. (The SDK fakes return short pages on purpose; real SSM pages hold up to 10 parameters and EC2 pages up to 100 instances, so a real small deployment needs one page of each.)`,
  );
  notes.push(`One replacement of a failed voter (launch, swap, terminate; ${cost.replacement.ticks} ticks): ${JSON.stringify(cost.replacement)}.`);

  step('the AWS path on the AWS test world (real handlers, SDK clients and ZooKeeper JVMs)');
  const aws = await measureAwsPath(smoke ? 1 : 3, { events: !smoke });
  rows.push(['AWS path: create 3 voters (manual create -> 3 synced voters, 200 ms ticks)', [aws.createMs], 'ms', '']);
  rows.push(['AWS path: kill a voter\'s JVM -> 3 synced voters (failAfterSeconds 1, 200 ms ticks)', aws.heals.map((h) => h.ms), 'ms', '']);
  rows.push(['AWS path: ticks of that heal', aws.heals.map((h) => h.ticks), 'ticks', '']);
  const ev = aws.events;
  if (ev) {
    rows.push(['AWS path through the tick queue: EC2 terminates a voter\'s instance -> swap committed, 1 hot spare (event, queue, one tick)', ev.terminatedWithSpareMs, 'ms', '']);
    rows.push(['AWS path through the tick queue: EC2 terminates a voter\'s instance -> swap committed, no spare (launch, boot, sync, swap)', ev.terminatedNoSpareMs, 'ms', '']);
    rows.push(['  ticks of that heal (the events\' ticks and the follow-ups)', ev.terminatedNoSpareTicks, 'ticks', '']);
    rows.push([`  of which follow-ups (a message due every ${FOLLOW_UP.everyMs / 1000} s or so while the replacement is on its way)`, ev.terminatedNoSpareFollowUps, 'ticks', '']);
    rows.push([`AWS path through the tick queue: Spot interruption warning -> swap committed, no spare (deadline ${ev.spotAheadMs / 1000} s ahead)`, ev.spotSwapMs, 'ms', '']);
    rows.push(['  margin left before the deadline (the world takes the instance then)', ev.spotMarginMs, 'ms', '> 0']);
    notes.push(
      `AWS event path (the test world deployed as serverless.yml deploys it: FIFO tick queue, Lambda's SQS event source mapping with ReportBatchItemFailures, EventBridge's EC2 rules): no tick is driven between EC2 acting and the committed swap; times are read from the function's log. The Spot warning is dated so that its two minutes end ${ev.spotAheadMs / 1000} s after it is published, and the world terminates the instance at that deadline by itself. The world's instances boot in seconds (a JVM on loopback), not EC2's minute: the model above gives AWS's figures.`,
    );
  }
  notes.push(
    `AWS path (test world, AWS's protocols): SDK calls of a steady tick ${JSON.stringify(aws.steadyTick)}; of the ticks of one heal (detection, launch, waits, swap, terminate) ${JSON.stringify(aws.heals.at(-1)?.calls)}. Each state change costs three SSM writes (lease claim, state, release); the heal's writes are its waiting ticks recording their step.`,
  );

  await measureClusters(smoke, rows, notes); // a thousand clusters per deployment: fan-out and rate budgets on simulated time
  step('simulator');
  if (!smoke) mkdirSync('docs/img', { recursive: true });
  const sim = measureSimulator(smoke ? undefined : 'docs/img/simulated-day.svg', smoke ? { clusters: 2, years: 0.05 } : {});
  rows.push([`simulator: ${smoke ? '2 clusters x 0.05 year' : '100 clusters x a year'} of one-minute ticks`, [sim.yearOf100Clusters.seconds], 's', 'seconds']);
  notes.push(
    `Simulator, 100 clusters x a year (fixed sizes, 0.002%/server-minute failures): ${JSON.stringify(sim.yearOf100Clusters)}; steady minutes are skipped, not stepped (a test checks both give the same run).`,
  );
  notes.push(`Simulated day (diurnal trace, 0.05%/min failures): ${JSON.stringify(sim.day)}.`);
  notes.push(
    `A cluster-year of the diurnal trace with load-based observers: ${JSON.stringify(sim.diurnalYear)}. Ids come back once no trace of their predecessor is left (no instance, no session in the leader's dump, a write past the removal): the year never runs out of ids. Before ids came back (this bench, 2026-12-01): 252 launches, the 255 ids spent after about 7 weeks, 401,851 minutes under capacity, quorum availability 0.318.`,
  );
  notes.push(`A month in which every replacement's image never boots for the first 14 days: ${JSON.stringify(sim.neverBootingJoiner)}.`);
  notes.push(`Zone outage (zone a down 90 min, 3 zones): quorum availability ${sim.outage.spread} with voters spread, ${sim.outage.pack} with voters packed.`);
  const spares = sim.hotSpares;
  const fleetOf = smoke ? '2 clusters x 0.05 year' : '100 clusters x a year';
  rows.push([`simulator: hot spares, ${fleetOf} x 4 (EC2-known and hung failures, 0 and 1 spare) and the MTTR model`, [spares.seconds], 's', '']);
  rows.push(['modelled MTTR on AWS: terminated voter, no spare (event + launch + boot + sync + swap at the next follow-up tick)', spares.mttrSeconds.terminated.none, 's', '<= 90']);
  rows.push(['modelled MTTR on AWS: terminated voter, 1 hot spare (event + swap)', spares.mttrSeconds.terminated.one, 's', '<= 10']);
  rows.push(['modelled MTTR on AWS: hung voter (3 missed one-minute probes), no spare', spares.mttrSeconds.hung.none, 's', '']);
  rows.push(['modelled MTTR on AWS: hung voter (3 missed one-minute probes), 1 hot spare', spares.mttrSeconds.hung.one, 's', '']);
  rows.push(['modelled seconds with a voter missing after a Spot notice (2 min ahead), no spare', spares.mttrSeconds.notice.none, 's', '']);
  rows.push(['modelled seconds with a voter missing after a Spot notice (2 min ahead), 1 hot spare', spares.mttrSeconds.notice.one, 's', '']);
  // The year steps whole minutes: a heal of seconds counts a minute. The MTTR model's median per
  // voter failure gives the same year at the second.
  // The mean, not the median: it stands for a total, and the hung case's times are skewed.
  const mean = (values: readonly number[]): number => Math.round((values.reduce((a, b) => a + b, 0) / Math.max(1, values.length)) * 10) / 10;
  const year = (y: (typeof spares.year)['ec2Knows']['none'], mttrSeconds: readonly number[]): string =>
    `${y.minutesVoterMissing.toLocaleString('en-US')} minutes with a voter missing at one-minute resolution (${y.minutesVoterMissingQuorumKept.toLocaleString('en-US')} in the clusters that kept their quorum), ${Math.round((y.voterFailures * mean(mttrSeconds)) / 60).toLocaleString('en-US')} at the MTTR model's (${y.voterFailures} voter failures x its mean ${mean(mttrSeconds)} s), ${y.serverMinutes.toLocaleString('en-US')} server-minutes, ${y.failures} failures, ${y.notices} notices (${y.noticesTakenInConfig} taken before the voter was replaced), ${y.launches} launches, ${y.spareSwaps} spare swaps, quorum availability ${y.quorumAvailability} (${y.clustersLosingQuorum} clusters lost it)`;
  for (const [kind, mttr, label] of [['ec2Knows', 'terminated', 'EC2 terminates the instance (an event wakes the tick)'], ['hung', 'hung', 'the server hangs (missed probes only)']] as const) {
    const seconds = spares.mttrSeconds[mttr];
    notes.push(`Hot spares, ${fleetOf} (3 voters, 3 zones, ${spares.failureRate * 100} %/server-minute failures where ${label}, Spot-style notices at ${spares.noticeRate * 100} %/server-minute): without a spare ${year(spares.year[kind].none, seconds.none)}; with one ${year(spares.year[kind].one, seconds.one)}.`);
  }
  notes.push(
    `The MTTR model (lib/sim/mttr.ts: the real core on a millisecond clock, ${spares.mttr.terminated.none.runs} runs each: the failure at every 2 s of the schedule's minute, each voter in turn) assumes ${JSON.stringify(spares.timings)} (sources and assumptions in AWS_TIMINGS); the minute simulator's fleet for these timings is ${JSON.stringify(spares.minuteModel)}. Without a spare the swap comes at the first follow-up tick after the joiner synced (a message of its own, due at the next ${FOLLOW_UP.everyMs / 1000} s mark while the joiner is on its way, whatever shares its batch: lib/controller/triggers.ts), on top of the ${(spares.timings.eventMs + spares.timings.tickMs + spares.timings.launchMs + spares.timings.bootMs + spares.timings.syncMs + spares.timings.tickMs + spares.timings.swapMs) / 1000} s path.`,
  );

  step('adversarial simulation');
  const adversarial = await measureAdversarial(smoke ? { histories: 5 } : {});
  rows.push([`adversarial simulation: ${adversarial.histories} histories, ${adversarial.ticks.toLocaleString('en-US')} ticks`, [adversarial.ms / 1000], 's', '']);
  notes.push(
    `Adversarial simulation (seed ${adversarial.seed}): ${adversarial.histories} histories tried, ${adversarial.ticks} ticks, ${adversarial.checksHeld} invariant checks held, ${adversarial.converged} converged after the faults stopped, ${adversarial.historiesPerSecond.toFixed(1)} histories/s; ${adversarial.failure === undefined ? 'every invariant held' : `an invariant broke: ${adversarial.failure.split('\n').slice(0, 2).join(' ')}`}.`,
  );

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
      `# Benchmarks\n\nWritten by \`npm run bench\`. Measured on a shared 2-core machine: read them as orders of magnitude, not SLAs.\n\n${text}\n![A simulated day](docs/img/simulated-day.svg)\n\n${mutationScores()}`,
    );
  }
}

/** The mutation scores (`npm run mutation`, hours: not rerun here) are kept by hand in
 * docs/mutation.md; BENCHMARKS.md carries them as they are. */
function mutationScores(): string {
  return readFileSync('docs/mutation.md', 'utf8');
}

// Clients of a disturbance run that failed may still hold sockets: the bench ends when it is done.
main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
