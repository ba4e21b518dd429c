import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ControllerStateSchema, OperatorRequestsSchema } from '../../lib/config/index.js';
import {
  DOCUMENT_MAX_BYTES,
  fitState,
  jsonBytes,
  MAX_COUNT,
  MAX_PENDING_REPORTS,
  MAX_REQUESTS,
  MAX_RETIRED_IDS,
  MAX_STORM_CHANGES,
  MAX_TIME_MS,
  MAX_SPARES,
  MAX_TRACKED_SERVERS,
  MAX_ZONES_AVOIDED,
  stateBytes,
  TEXT_BYTES,
} from '../../lib/core/index.js';

// The state and the requests document live in SSM standard parameters (4,096 characters). Every
// bound in lib/core/limits.ts exists so that the FULLEST document fits: here every list is full,
// every string is as long as its schema allows (in the characters that cost the most bytes as
// JSON), every number has its most digits, and each document must parse and fit.

/** Characters that cost 1 to 4 bytes as JSON (a quote and a backslash cost 2: they are escaped). */
const costly = fc.constantFrom('a', '"', '\\', 'é', '€', '😀', '中');

/** A string that takes as close to `maxBytes` JSON bytes as its characters allow. */
function fullText(maxBytes: number, min = 0): fc.Arbitrary<string> {
  return fc.array(costly, { minLength: maxBytes, maxLength: maxBytes }).map((chars) => {
    let text = '';
    for (const char of chars) if (jsonBytes(text + char) <= maxBytes) text += char;
    return text.length >= min ? text : 'a'.repeat(min);
  });
}

const id3 = fc.integer({ min: 100, max: 255 });
const time = fc.constant(MAX_TIME_MS);
const name = (length: number): fc.Arbitrary<string> => fc.constant('z'.repeat(length));

const fullestState = fc.record({
  schemaVersion: fc.constant(2),
  cluster: name(63),
  nextServerId: fc.constant(256),
  retiredIds: fc.array(fc.record({ serverId: id3, configVersion: fc.constant('f'.repeat(16)) }), { minLength: MAX_RETIRED_IDS, maxLength: MAX_RETIRED_IDS }),
  health: fc.array(
    fc.oneof(
      fc.record({ serverId: id3, misses: fc.constant(MAX_COUNT), missingSince: time, slowTicks: fc.constant(0) }),
      fc.record({ serverId: id3, misses: fc.constant(0), slowTicks: fc.constant(MAX_COUNT), slowSince: time }),
    ),
    { minLength: MAX_TRACKED_SERVERS, maxLength: MAX_TRACKED_SERVERS },
  ),
  spares: fc.array(id3, { minLength: MAX_SPARES, maxLength: MAX_SPARES }),
  operation: fc.record({
    kind: fc.constant('replace'),
    id: name(48),
    serverId: id3,
    replaces: id3,
    role: fc.constant('observer'),
    zone: name(32),
    startedAt: time,
    step: fc.constant('reconfiguring'),
    stepSince: time,
    why: fullText(TEXT_BYTES.why),
  }),
  lastScaleOutAt: time,
  lastScaleInAt: time,
  scaleInHold: fc.record({ since: time, highest: fc.constant(MAX_COUNT) }),
  roundRobinCursor: fc.constant(MAX_COUNT),
  zonesAvoided: fc.array(fc.record({ zone: name(32), until: time, why: fullText(TEXT_BYTES.zoneWhy) }), { minLength: MAX_ZONES_AVOIDED, maxLength: MAX_ZONES_AVOIDED }),
  leader: fc.record({ serverId: id3, changes: fc.array(time, { minLength: MAX_STORM_CHANGES, maxLength: MAX_STORM_CHANGES }) }),
  reports: fc.array(fc.record({ serverId: id3, reason: fullText(TEXT_BYTES.reason), at: time }), { minLength: MAX_PENDING_REPORTS, maxLength: MAX_PENDING_REPORTS }),
  replaceRequests: fc.array(id3, { minLength: MAX_TRACKED_SERVERS, maxLength: MAX_TRACKED_SERVERS }),
  requestsSeenUpTo: time,
  launchFailures: fc.record({ count: fc.constant(MAX_COUNT), faulty: fc.constant(MAX_COUNT), lastAt: time, template: fc.constant('123456789') }),
});

const fullestRequests = fc.array(
  // An EC2 notice's replace request, the longest kind: it names its instance and deadline too.
  fc.record({ id: name(48), kind: fc.constant('replace'), serverId: id3, instanceId: fc.constant('i-0123456789abcdef0'), deadline: time, reason: fullText(TEXT_BYTES.reason, 1), at: time }),
  { minLength: MAX_REQUESTS, maxLength: MAX_REQUESTS },
);

describe('stored documents fit SSM standard parameters by construction', () => {
  it('the fullest state the schema allows parses and takes at most 4,096 bytes', () => {
    let largest = 0;
    fc.assert(
      fc.property(fullestState, (input) => {
        const state = ControllerStateSchema.parse(input);
        largest = Math.max(largest, stateBytes(state));
        expect(stateBytes(state)).toBeLessThanOrEqual(DOCUMENT_MAX_BYTES);
      }),
      { numRuns: 200 },
    );
    console.info(`fullest state: ${largest} bytes of ${DOCUMENT_MAX_BYTES}`);
  });

  it('the fullest requests document the schema allows parses and takes at most 4,096 bytes', () => {
    let largest = 0;
    fc.assert(
      fc.property(fullestRequests, (input) => {
        const requests = OperatorRequestsSchema.parse(input);
        const bytes = Buffer.byteLength(JSON.stringify(requests), 'utf8');
        largest = Math.max(largest, bytes);
        expect(bytes).toBeLessThanOrEqual(DOCUMENT_MAX_BYTES);
      }),
      { numRuns: 200 },
    );
    console.info(`fullest requests: ${largest} bytes of ${DOCUMENT_MAX_BYTES}`);
  });

  it('a schema bound one longer than the limits would not fit: the bounds are what keeps it small', () => {
    // Guards the test itself: with twice the health records the fullest state no longer fits.
    const input = fc.sample(fullestState, { numRuns: 1, seed: 1 })[0];
    if (!input) throw new Error('sample');
    const doubled = { ...input, health: [...input.health, ...input.health] };
    expect(Buffer.byteLength(JSON.stringify(doubled), 'utf8')).toBeGreaterThan(DOCUMENT_MAX_BYTES);
  });

  it('cuts evidence, the oldest reports first, when asked to fit a smaller budget, and keeps the operation', () => {
    const state = ControllerStateSchema.parse(fc.sample(fullestState, { numRuns: 1, seed: 2 })[0]);
    const budget = stateBytes(state) - 100;
    const fitted = fitState(state, budget);
    expect(stateBytes(fitted)).toBeLessThanOrEqual(budget);
    expect(fitted.reports.length).toBeGreaterThan(0);
    expect(fitted.operation).toEqual(state.operation);
    expect(fitted.nextServerId).toBe(state.nextServerId);
    expect(state.reports.slice(-fitted.reports.length)).toEqual(fitted.reports);
    expect(fitted.reports.length).toBeLessThan(state.reports.length);
  });
});
