// @ts-check
// Mutation testing of the core's safety code (`npm run mutation`; not part of `npm test`: minutes,
// not seconds). Only pure tests run: the core's unit and property tests and the controller's unit
// test, never a ZooKeeper JVM. The adversarial simulation is left out: it runs the whole controller
// and the SSM store (code outside the mutated files) for ~25 s per mutant, and stays in `npm test`.
// Incremental: a rerun after a small change only tests the mutants that change touched.
//
// Scores: see the block below (kept with the date and machine of each measurement).

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
const config = {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.config.ts', related: false },
  coverageAnalysis: 'perTest',
  mutate: [
    'lib/core/quorumSafety.ts',
    'lib/core/membershipChange.ts',
    'lib/core/quorum.ts',
    'lib/core/serverIds.ts',
    'lib/core/plan.ts',
  ],
  testFiles: [
    'test/unit/core/**/*.test.ts',
    'test/unit/controller.test.ts',
    'test/property/convergence.property.test.ts',
    'test/property/planner.property.test.ts',
    'test/property/parsers.property.test.ts',
    'test/property/serverIds.property.test.ts',
    'test/property/documentSize.property.test.ts',
  ],
  // Everything Stryker writes stays under ignored folders, out of `git status`.
  tempDirName: 'coverage/.stryker-tmp',
  incremental: true,
  incrementalFile: 'coverage/mutation/incremental.json',
  ignorePatterns: ['coverage', '.zk-autoscaler', '.serverless', '.esbuild'],
  reporters: ['clear-text', 'progress', 'html', 'json'],
  jsonReporter: { fileName: 'coverage/mutation/mutation.json' },
  htmlReporter: { fileName: 'coverage/mutation/index.html' },
  thresholds: { high: 90, low: 80, break: null },
};

export default config;
