import { runCampaign, type CampaignReport } from '../support/adversary/index.js';

// The adversarial simulation's longer campaign: ten times the histories `npm test` runs, from
// another seed, the same faults and invariants (test/property/adversarial.property.test.ts). It
// measures and reports; a broken invariant is reported with its replayable trace, not thrown.

export interface AdversarialBench extends CampaignReport {
  readonly seed: number;
  readonly historiesPerSecond: number;
  readonly ticksPerSecond: number;
}

export async function measureAdversarial({ histories = 1500, seed = 20261201, timeLimitMs = 20 * 60_000 } = {}): Promise<AdversarialBench> {
  // Shrinking a failure can take minutes: the bench reports the history as drawn.
  const report = await runCampaign({ numRuns: histories, seed, timeLimitMs, endOnFailure: true });
  const seconds = report.ms / 1000;
  return { ...report, seed, historiesPerSecond: report.histories / seconds, ticksPerSecond: report.ticks / seconds };
}
