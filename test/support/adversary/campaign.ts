import fc from 'fast-check';
import { arbHistory, type History, type HistoryShape } from './faults.js';
import { formatFailure, runHistory } from './history.js';
import { INVARIANTS } from './invariants.js';

// A campaign: many seeded histories through fast-check (which shrinks a failing one to a shorter
// history with fewer faults), with the counts a report needs.

export interface CampaignOptions extends HistoryShape {
  readonly numRuns: number;
  readonly seed: number;
  /** Replays one counterexample: fast-check's path, printed with the failure. */
  readonly path?: string;
  /** Skip shrinking: report the first failing history as drawn. */
  readonly endOnFailure?: boolean;
  /** Stop drawing (and shrinking) after this long; a campaign cut short says so in its report. */
  readonly timeLimitMs?: number;
}

export interface CampaignReport {
  readonly histories: number;
  readonly ticks: number;
  /** Invariant checks made (invariants x steps) and held. */
  readonly checksHeld: number;
  readonly converged: number;
  readonly ms: number;
  /** The time limit cut the campaign (or its shrinking) short. */
  readonly interrupted: boolean;
  /** fast-check's report when an invariant broke (seed, path, the shrunk history and its trace). */
  readonly failure: string | undefined;
}

export async function runCampaign(options: CampaignOptions): Promise<CampaignReport> {
  const started = performance.now();
  let histories = 0;
  let ticks = 0;
  let checksHeld = 0;
  let converged = 0;
  const property = fc.asyncProperty(arbHistory(options), async (history: History) => {
    const outcome = await runHistory(history);
    histories++;
    ticks += outcome.ticks;
    if (outcome.violations.length > 0) throw new Error(formatFailure(history, outcome));
    checksHeld += outcome.steps * Object.keys(INVARIANTS).length;
    if (outcome.converged) converged++;
  });
  const details = await fc.check(property, {
    numRuns: options.numRuns,
    seed: options.seed,
    ...(options.path !== undefined ? { path: options.path } : {}),
    endOnFailure: options.endOnFailure ?? false,
    ...(options.timeLimitMs !== undefined ? { interruptAfterTimeLimit: options.timeLimitMs } : {}),
  });
  const failure = details.failed
    ? `fast-check seed ${details.seed}, path "${details.counterexamplePath ?? ''}" (${details.numRuns} histories, ${details.numShrinks} shrinks)\n${details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance)}`
    : undefined;
  return { histories, ticks, checksHeld, converged, ms: performance.now() - started, interrupted: details.interrupted, failure };
}
