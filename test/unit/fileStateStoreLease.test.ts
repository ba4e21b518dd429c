import { existsSync, mkdirSync, mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileStateStore } from '../../lib/adapters/local/index.js';
import { initialState } from '../../lib/config/index.js';
import { LeaseLostError } from '../../lib/errors.js';

// Local mode's lease: changes to the lease file are made under an exclusive mutex file, which
// another process may hold for an instant, or may have left behind when it died.

function store(): { store: FileStateStore; mutex: string } {
  const s = new FileStateStore(mkdtempSync(join(tmpdir(), 'zka-lease-')));
  mkdirSync(s.clusterDir('orders'), { recursive: true });
  return { store: s, mutex: join(s.clusterDir('orders'), 'lease.mutex') };
}

/** A mutex file as another process holding it would leave it, written `ageMs` ago. */
function heldMutex(path: string, ageMs: number): void {
  writeFileSync(path, '');
  const at = (Date.now() - ageMs) / 1000;
  utimesSync(path, at, at);
}

describe('FileStateStore lease under its mutex', () => {
  it('leaves no mutex behind after a claim, a write and a release', async () => {
    const { store: s, mutex } = store();
    const lease = await s.acquireLease('orders', 'a', 60_000, Date.now());
    if (!lease) throw new Error('lease');
    expect(existsSync(mutex)).toBe(false);
    await s.writeState('orders', initialState('orders'), lease);
    expect(existsSync(mutex)).toBe(false);
    await s.releaseLease(lease);
    expect(existsSync(mutex)).toBe(false);
    expect(await s.holdsLease(lease, Date.now())).toBe(false);
  });

  it('answers a claim made while another process holds the mutex with no lease, at once, and leaves its mutex alone', async () => {
    const { store: s, mutex } = store();
    heldMutex(mutex, 0);
    const started = Date.now();
    expect(await s.acquireLease('orders', 'a', 60_000, Date.now())).toBeUndefined();
    expect(Date.now() - started).toBeLessThan(500);
    expect(existsSync(mutex)).toBe(true);
    expect(existsSync(join(s.clusterDir('orders'), 'lease.json'))).toBe(false);
  });

  it('refuses a state write while the mutex stays busy (the lease cannot be checked), writing nothing', async () => {
    const { store: s, mutex } = store();
    const lease = await s.acquireLease('orders', 'a', 60_000, Date.now());
    if (!lease) throw new Error('lease');
    heldMutex(mutex, 0);
    const write = s.writeState('orders', initialState('orders'), lease);
    await expect(write).rejects.toThrow(LeaseLostError);
    await expect(write).rejects.toThrow('another process (mutex busy)');
    expect(await s.readState('orders')).toBeUndefined();
    expect(existsSync(mutex)).toBe(true);
  });

  it('breaks a mutex left by a process that died more than 5 s ago, and not one younger', async () => {
    const { store: s, mutex } = store();
    heldMutex(mutex, 4_000);
    expect(await s.acquireLease('orders', 'a', 60_000, Date.now())).toBeUndefined();
    heldMutex(mutex, 6_000);
    const lease = await s.acquireLease('orders', 'a', 60_000, Date.now());
    expect(lease).toMatchObject({ cluster: 'orders', holder: 'a', token: 1 });
    expect(existsSync(mutex)).toBe(false);
  });

  it('gives each claim the next token, the same holder included, and another holder only once the lease expired', async () => {
    const { store: s } = store();
    const now = Date.now();
    const first = await s.acquireLease('orders', 'a', 1_000, now);
    const again = await s.acquireLease('orders', 'a', 1_000, now + 10);
    expect([first?.token, again?.token]).toEqual([1, 2]);
    expect(await s.holdsLease(first as NonNullable<typeof first>, now + 20)).toBe(false); // superseded
    expect(await s.acquireLease('orders', 'b', 1_000, now + 1_009)).toBeUndefined(); // a holds until now + 1,010
    expect(await s.acquireLease('orders', 'b', 1_000, now + 1_010)).toMatchObject({ holder: 'b', token: 3, expiresAt: now + 2_010 });
  });

  it('releases only its own lease: a release of a lease taken over since changes nothing', async () => {
    const { store: s } = store();
    const now = Date.now();
    const a = await s.acquireLease('orders', 'a', 1_000, now);
    const b = await s.acquireLease('orders', 'b', 60_000, now + 2_000);
    if (!a || !b) throw new Error('lease');
    await s.releaseLease(a);
    expect(await s.holdsLease(b, now + 3_000)).toBe(true);
    await s.releaseLease(b);
    expect(await s.holdsLease(b, now + 3_000)).toBe(false);
    expect(await s.acquireLease('orders', 'c', 1_000, now + 3_000)).toMatchObject({ holder: 'c', token: 3 });
  });

  it('holds no lease before any claim, releases one whose file is gone without failing, and names a malformed lease file', async () => {
    const { store: s } = store();
    const lease = { cluster: 'orders', holder: 'a', token: 1, expiresAt: Date.now() + 60_000 };
    expect(await s.holdsLease(lease, Date.now())).toBe(false);
    await expect(s.releaseLease(lease)).resolves.toBeUndefined();
    const claimed = await s.acquireLease('orders', 'a', 60_000, Date.now());
    if (!claimed) throw new Error('lease');
    expect(await s.holdsLease({ ...claimed, holder: 'b' }, Date.now())).toBe(false); // the token alone is not enough
    expect(await s.holdsLease(claimed, Date.now())).toBe(true);
    const file = join(s.clusterDir('orders'), 'lease.json');
    writeFileSync(file, JSON.stringify({ holder: 'a' }));
    await expect(s.holdsLease(lease, Date.now())).rejects.toThrow(`lease file ${file}`);
  });

  it('names who holds the lease when it refuses a state write, or nobody', async () => {
    const { store: s } = store();
    const now = Date.now();
    const a = await s.acquireLease('orders', 'a', 1_000, now);
    if (!a) throw new Error('lease');
    await s.acquireLease('orders', 'b', 60_000, now + 2_000);
    await expect(s.writeState('orders', initialState('orders'), a)).rejects.toThrow('lease on orders lost (token 1, now held by b): nothing written');
    const { store: fresh } = store();
    await expect(fresh.writeState('orders', initialState('orders'), a)).rejects.toThrow('lease on orders lost (token 1, now held by nobody): nothing written');
  });
});
