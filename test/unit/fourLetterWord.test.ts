import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { DUMP_SESSIONS_END, parseLeaderSessions, sendFourLetterWord } from '../../lib/zk/index.js';

// The four-letter-word client against a server that answers as ZooKeeper does: the whole answer,
// then the connection closed; or, for the leader's `dump`, a session list followed by every
// ephemeral node, which on a busy ensemble runs to many megabytes.

let server: Server | undefined;
afterEach(() => server?.close());

async function answering(answer: string): Promise<number> {
  server = createServer((socket) => {
    // The client hangs up before the end of a long answer: that reset is what is tested.
    socket.on('error', () => undefined);
    socket.once('data', () => socket.end(answer));
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  return (server.address() as { port: number }).port;
}

const SESSIONS = ['SessionTracker dump:', 'Session Sets (1)/(2):', '2 expire at Tue Dec 01 20:00:00 UTC 2026:', '\t0x1000095c1270000', '\t0x3000095c1270001', DUMP_SESSIONS_END].join('\n');

describe('four-letter words', () => {
  it('reads the leader\'s session list and not the megabytes of ephemeral nodes after it', async () => {
    const ephemerals = `Sessions with Ephemerals (50000):\n${'0x1000095c1270000:\n\t/locks/lock-0000000001\n'.repeat(50_000)}`;
    const port = await answering(`${SESSIONS}\n${ephemerals}`);
    const text = await sendFourLetterWord('127.0.0.1', port, 'dump', 2000, DUMP_SESSIONS_END);
    expect(parseLeaderSessions(text, 'dump')).toEqual([0x1000095c1270000n, 0x3000095c1270001n]);
  });

  it('refuses an answer over 1 MB that has no end line', async () => {
    const port = await answering('x'.repeat(2 * 1024 * 1024));
    await expect(sendFourLetterWord('127.0.0.1', port, 'dump', 2000, DUMP_SESSIONS_END)).rejects.toThrow('answer larger than 1048576 bytes');
  });
});
