// @ts-check
// The vitest config mutation testing runs (stryker.config.mjs): the project's own, with the quickest
// test files first. Stryker stops a mutant's run at the first failing test, and vitest's own order
// runs the longest files first (the property tests, seconds each), so a mutant that a unit test
// kills in milliseconds would first wait for them.
import { defineConfig } from 'vitest/config';
import { BaseSequencer } from 'vitest/node';
import base from './vitest.config.js';

/** Later runs later: unit and contract tests, then the property tests from the quickest. */
const SLOW = [
  'test/property/parsers.property.test.ts',
  'test/property/documentSize.property.test.ts',
  'test/property/convergence.property.test.ts',
  'test/property/planner.property.test.ts',
  'test/property/serverIds.property.test.ts',
];

/** @param {string} moduleId */
function rank(moduleId) {
  return SLOW.findIndex((path) => moduleId.endsWith(path)) + 1;
}

class QuickestFirst extends BaseSequencer {
  /** @param {import('vitest/node').TestSpecification[]} files */
  async sort(files) {
    return [...files].sort((a, b) => rank(a.moduleId) - rank(b.moduleId));
  }
}

// No setup file: it stops the ZooKeeper ensembles a test file started (none here), and importing
// what does that costs about a second per test file, that is per mutant and test file.
export default defineConfig({ ...base, test: { ...base.test, setupFiles: [], isolate: false, sequence: { sequencer: QuickestFirst } } });
