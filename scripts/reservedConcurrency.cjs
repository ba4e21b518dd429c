// serverless.yml reads the tick's reserved concurrency from here (offline, while it resolves
// variables) so that the parameter means what it says: `none` or an empty value reserves nothing,
// a whole number N >= 1 reserves N. 0 is refused: AWS takes reserved concurrency 0 as "throttle
// every invocation" (docs/aws-facts.md §6.4), which would silently stop the tick.
'use strict';

/** @param {{ resolveVariable: (address: string) => Promise<unknown> }} resolver */
module.exports = async ({ resolveVariable }) => {
  const raw = String(await resolveVariable('param:tickReservedConcurrency')).trim();
  // No value: serverless.yml falls back to null (`${file(...), null}`), so the property is left out.
  if (raw === '' || raw === 'none') return null;
  if (/^[1-9][0-9]*$/.test(raw)) return Number(raw);
  throw new Error(
    `tickReservedConcurrency must be "none" (no reservation) or a whole number >= 1 (got "${raw}"): ` +
      'reserved concurrency 0 would throttle the tick completely',
  );
};
