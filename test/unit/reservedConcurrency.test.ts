import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

// serverless.yml's `tickReservedConcurrency` parameter, as osls resolves it (offline) through
// scripts/reservedConcurrency.cjs. What `none` and N produce in the template is checked by packaging
// (test/integration/package.test.ts); the refusals are checked here, without packaging.

type Resolver = (input: { resolveVariable: (address: string) => Promise<unknown> }) => Promise<number | null>;
const reservedConcurrency = createRequire(import.meta.url)('../../scripts/reservedConcurrency.cjs') as Resolver;

const resolve = (value: unknown): Promise<number | null> =>
  reservedConcurrency({ resolveVariable: async (address) => (address === 'param:tickReservedConcurrency' ? value : expect.fail(address)) });

describe('tickReservedConcurrency', () => {
  it('reserves N for a whole number N >= 1, from the yml default (a number) or the CLI (a string)', async () => {
    expect(await resolve(1)).toBe(1);
    expect(await resolve('3')).toBe(3);
  });

  it('reserves nothing for none or an empty value', async () => {
    expect(await resolve('none')).toBeNull();
    expect(await resolve('')).toBeNull();
  });

  it('refuses 0, which AWS would take as "never run the tick", and anything not a whole number', async () => {
    await expect(resolve(0)).rejects.toThrow('tickReservedConcurrency must be "none" (no reservation) or a whole number >= 1 (got "0"): reserved concurrency 0 would throttle the tick completely');
    for (const bad of ['-1', '1.5', 'one', '01']) await expect(resolve(bad)).rejects.toThrow(`(got "${bad}")`);
  });
});
