// @ts-check
// Mutation testing of the safety code (`npm run mutation`; not part of `npm test`: the five sets'
// ~1,500 mutants take about 2 h at one mutant at a time). Only tests without a ZooKeeper JVM run:
// the core's unit and property tests, the controller's unit test, the store contract and the
// stores' lease tests. The adversarial simulation is left out: it runs the whole controller for
// ~25 s per mutant, and stays in `npm test`. vitest.mutation.config.mjs runs the quickest test
// files first (Stryker stops at the first failure). Incremental: a rerun after a change to
// the mutated code only tests the mutants it touched. A rerun after new tests needs
// `-- --force`: with this runner Stryker reused every earlier survivor although new tests covered
// it (seen 2026-12-02: 341 of 341 reused).
//
// Scores per file, before and after issue 18, the mutants that survive and why (equivalent, or not
// killed yet): docs/mutation.md (BENCHMARKS.md carries it).
import { readFileSync } from 'node:fs';

/** The lines of top-level `function name(` up to its closing `}` (first column), as Stryker's
 * `file:from-to` range: ranges follow the functions when the file changes. */
function fn(file, name) {
  const lines = readFileSync(file, 'utf8').split('\n');
  const from = lines.findIndex((l) => new RegExp(`^(export )?(async )?function ${name}[<(]`).test(l));
  if (from < 0) throw new Error(`${file}: no function ${name}`);
  const to = lines.findIndex((l, i) => i > from && l === '}');
  return `${file}:${from + 1}-${to + 1}`;
}

/** The lines from the first one containing `first` to the next containing `last`. */
function between(file, first, last) {
  const lines = readFileSync(file, 'utf8').split('\n');
  const from = lines.findIndex((l) => l.includes(first));
  const to = lines.findIndex((l, i) => i > from && l.includes(last));
  if (from < 0 || to < 0) throw new Error(`${file}: no lines from "${first}" to "${last}"`);
  return `${file}:${from + 1}-${to + 1}`;
}

const SSM = 'lib/adapters/aws/ssmStateStore.ts';
const FILES = 'lib/adapters/local/fileStateStore.ts';

/** What is mutated, in sets run one at a time (`MUTATION_SET=<name> npm run mutation -- --concurrency 1`;
 * each set keeps its own incremental file and report); `npm run mutation` alone mutates them all.
 * Large files are kept to their safety-relevant functions. */
const SETS = {
  // Quorum arithmetic, the last-line reconfig check, membership changes, zone spread.
  quorum: ['lib/core/quorumSafety.ts', 'lib/core/membershipChange.ts', 'lib/core/quorum.ts', 'lib/core/placement.ts'],
  // The lease and fencing: the tick's claim, re-read, write-ahead and fenced steps; the fence; the
  // lease check both stores share; the SSM store's claim/check/release/valid record; the local
  // store's claim/check/release and its mutex.
  lease: [
    'lib/controller/fence.ts',
    between('lib/controller/tick.ts', 'if (!acts(step) && isDeepStrictEqual', 'await deps.store.releaseLease(lease);'),
    fn('lib/controller/tick.ts', 'acts'),
    fn('lib/controller/tick.ts', 'execute'),
    fn('lib/controller/tick.ts', 'withAdmin'),
    fn('lib/config/documents.ts', 'leaseHolds'),
    between(SSM, 'async writeState(', 'async readRequests('),
    between(SSM, 'private async validLease(', 'private async readOnce('),
    between(FILES, 'async writeState(', 'async readRequests('),
    between(FILES, 'private currentLease(', 'private path('),
  ],
  // Id allocation and retirement; the wording of a refusal (describeHolds, holdText, ranges) is left out.
  serverIds: ['idInputs', 'firstUnusedId', 'holdsOn', 'sessionHolds', 'sessionOwner', 'allocateServerId', 'retire', 'retiredStillNeeded'].map((name) => fn('lib/core/serverIds.ts', name)),
  // The operation state machine: startRemove, advance, reconfigure, launch and abandon.
  plan: ['startRemove', 'advance', 'reconfigure', 'launch', 'abandon'].map((name) => fn('lib/core/plan.ts', name)),
  // The rest of plan.ts that keeps a rule: plan() (an unclear picture, pause), the hot spare swap
  // (one synced spare in for one voter out) and its choice of spare, pickRemoval (failed first, the
  // leader last), what ends an operation, the launch hold, the version check and isSwap. Left out:
  // next(), the starts of operations, placement's and strategies' inputs.
  planRest: ['plan', 'swapInSpare', 'spareFor', 'pickRemoval', 'withoutOperation', 'launchHeld', 'unsafeVersions', 'isSwap'].map((name) => fn('lib/core/plan.ts', name)),
};
const set = process.env.MUTATION_SET;
if (set !== undefined && !(set in SETS)) throw new Error(`MUTATION_SET=${set}: one of ${Object.keys(SETS).join(', ')}`);
const mutate = set === undefined ? Object.values(SETS).flat() : SETS[/** @type {keyof typeof SETS} */ (set)];
const name = set ?? 'all';

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
const config = {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutation.config.mjs', related: false },
  coverageAnalysis: 'perTest',
  mutate,
  testFiles: [
    'test/unit/core/**/*.test.ts',
    'test/unit/controller.test.ts',
    'test/property/convergence.property.test.ts',
    'test/property/planner.property.test.ts',
    'test/property/parsers.property.test.ts',
    'test/property/serverIds.property.test.ts',
    'test/property/documentSize.property.test.ts',
    // The lease's tests (no JVM): the store contract and the SSM store at the SDK command level.
    'test/contract/stateStore.contract.test.ts',
    'test/integration/aws/ssmStateStore.test.ts',
    'test/unit/fileStateStoreLease.test.ts',
    'test/unit/fence.test.ts',
  ],
  // Everything Stryker writes stays under ignored folders, out of `git status`.
  tempDirName: 'coverage/.stryker-tmp',
  incremental: true,
  incrementalFile: `coverage/mutation/${name}.incremental.json`,
  ignorePatterns: ['coverage', '.zk-autoscaler', '.serverless', '.esbuild'],
  reporters: ['clear-text', 'progress', 'html', 'json'],
  jsonReporter: { fileName: `coverage/mutation/${name}.json` },
  htmlReporter: { fileName: `coverage/mutation/${name}.html` },
  thresholds: { high: 90, low: 80, break: null },
};

export default config;
