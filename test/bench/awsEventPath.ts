import type { TickMessage } from '../../lib/config/events.js';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { StatusView } from '../../lib/controller/index.js';
import { startAwsDeployment, votersAtRest, type AwsDeployment } from '../support/awsDeployment.js';
import { spotNotice, terminateFollower, type HealSeen } from '../support/awsEventPath.js';
import { killProcessesUnder } from '../support/processes.js';

// The event path on the AWS test world as deployed (the tick queue, Lambda's event source mapping,
// EventBridge's rules; real handlers, SDK clients and ZooKeeper JVMs): from EC2 acting to the swap
// committed, timed on the function's log with no tick driven in between (the tick the event queues
// and its follow-ups only). A deployment with the queue must be alone in its process (the handlers
// read their environment once), so measureAwsEventPath runs this file as a child process.

export interface AwsEventPathFigures {
  /** EC2 terminates a voter's instance -> the swap with the hot spare committed. */
  readonly terminatedWithSpareMs: readonly number[];
  /** The same without a spare (launch, boot, sync, swap), its ticks and how many were follow-ups. */
  readonly terminatedNoSpareMs: readonly number[];
  readonly terminatedNoSpareTicks: readonly number[];
  readonly terminatedNoSpareFollowUps: readonly number[];
  /** A Spot interruption warning (dated so that its deadline is SPOT_AHEAD_MS away) -> swap committed. */
  readonly spotSwapMs: readonly number[];
  /** Time left before the deadline (the world takes the instance then) when the swap committed. */
  readonly spotMarginMs: readonly number[];
  readonly spotAheadMs: number;
}

/** How far ahead the Spot warning's deadline is when it is published (the sample dates it 120 s back). */
const SPOT_AHEAD_MS = 40_000;
const FIGURES = 'AWS_EVENT_PATH_FIGURES ';

const spreadAtRest = (spares: number) => (s: StatusView) => votersAtRest(3)(s) && s.spares.synced === spares && s.spares.count === spares;

/** Ticks of a heal, and those of them that follow-up messages brought. */
function ticksOf(d: AwsDeployment, seen: HealSeen): { ticks: number; followUps: number } {
  const kinds = (d.mapping?.invocations ?? [])
    .filter((i) => i.startedAt >= seen.startedAt && i.startedAt <= seen.committedAt)
    .flatMap((i) => i.records.filter((r) => r.attributes.MessageGroupId === d.cluster).map((r) => (JSON.parse(r.body) as TickMessage).trigger.kind));
  return { ticks: seen.decisions.length, followUps: kinds.filter((k) => k === 'follow-up').length };
}

async function setSpares(d: AwsDeployment, hotSpares: number): Promise<void> {
  const { spec } = ((await d.manual({ action: 'spec-show', cluster: d.cluster })) as { data: { spec: Record<string, unknown> } }).data;
  await d.manual({ action: 'spec-set', cluster: d.cluster, spec: { ...spec, hotSpares } });
}

/** In this process: one deployment with the queue, `runs` of each case. */
export async function measureHere(runs: number, dir: string): Promise<AwsEventPathFigures> {
  const d = await startAwsDeployment({ dir, spec: { hotSpares: 1 }, queue: true });
  const figures = { terminatedWithSpareMs: [] as number[], terminatedNoSpareMs: [] as number[], terminatedNoSpareTicks: [] as number[], terminatedNoSpareFollowUps: [] as number[], spotSwapMs: [] as number[], spotMarginMs: [] as number[], spotAheadMs: SPOT_AHEAD_MS };
  const atRest = async (spares: number): Promise<StatusView> => {
    const s = await d.tickUntil(`at rest with ${spares} spare(s)`, spreadAtRest(spares), 120_000);
    await d.settled(60_000);
    return s;
  };
  try {
    await d.manual({ action: 'create', cluster: d.cluster });
    for (let i = 0; i < runs; i++) {
      const seen = await terminateFollower(d, await atRest(1), 90_000);
      figures.terminatedWithSpareMs.push(seen.committedAt - seen.startedAt);
    }
    await setSpares(d, 0);
    for (let i = 0; i < runs; i++) {
      const seen = await terminateFollower(d, await atRest(0), 110_000);
      const { ticks, followUps } = ticksOf(d, seen);
      figures.terminatedNoSpareMs.push(seen.committedAt - seen.startedAt);
      figures.terminatedNoSpareTicks.push(ticks);
      figures.terminatedNoSpareFollowUps.push(followUps);
    }
    for (let i = 0; i < runs; i++) {
      const seen = await spotNotice(d, await atRest(0), SPOT_AHEAD_MS, SPOT_AHEAD_MS);
      figures.spotSwapMs.push(seen.committedAt - seen.startedAt);
      figures.spotMarginMs.push(seen.deadline - seen.committedAt);
      await seen.taken;
    }
    return figures;
  } finally {
    await d.close();
  }
}

/** In a child process (this file run by tsx), so that the caller's deployment stays as it is. */
export function measureAwsEventPath(runs: number): Promise<AwsEventPathFigures> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', import.meta.filename, String(runs)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => void (out += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => {
      const line = out.split('\n').find((l) => l.startsWith(FIGURES));
      if (code !== 0 || !line) return reject(new Error(`the event-path bench exited with ${code}: ${out.slice(-2000)}`));
      resolve(JSON.parse(line.slice(FIGURES.length)) as AwsEventPathFigures);
    });
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  // Its own directory: whatever a crash leaves running under it (and only that) is killed at exit.
  const dir = mkdtempSync(join(tmpdir(), 'zk-autoscaler-bench-events-'));
  measureHere(Number(process.argv[2] ?? 1), dir)
    .then((figures) => process.stdout.write(`${FIGURES}${JSON.stringify(figures)}\n`))
    .catch((err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    });
  process.on('exit', () => {
    killProcessesUnder(dir);
    rmSync(dir, { recursive: true, force: true });
  });
}
