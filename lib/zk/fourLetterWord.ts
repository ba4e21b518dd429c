import { Socket } from 'node:net';
import { ProbeFailedError, probeFailureOf, type ProbeFailure } from './errors.js';

export type FourLetterWord = 'ruok' | 'srvr' | 'mntr' | 'conf' | 'isro' | 'stat' | 'dump';

/** Answers larger than this are not a ZooKeeper's (mntr is ~30 KB with hundreds of keys). */
const MAX_ANSWER_BYTES = 1024 * 1024;

/**
 * Sends a four-letter word and reads the answer until the server closes the connection, or until
 * the answer holds the line `until` (what comes after is not read: `dump`'s ephemeral nodes can be
 * many megabytes after the session list). Always resolves or rejects by `timeoutMs`, and always
 * destroys the socket.
 */
export function sendFourLetterWord(host: string, port: number, word: FourLetterWord, timeoutMs: number, until?: string): Promise<string> {
  const endpoint = `${host}:${port}`;
  return new Promise((resolve, reject) => {
    const socket = new Socket();
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const finish = (err: ProbeFailedError | undefined): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (err) reject(err);
      else resolve(Buffer.concat(chunks).toString('utf8'));
    };
    const fail = (failure: ProbeFailure, detail: string, cause?: unknown): void =>
      finish(new ProbeFailedError(endpoint, word, failure, detail, cause === undefined ? undefined : { cause }));
    const timer = setTimeout(() => fail('timeout', `no answer within ${timeoutMs} ms`), timeoutMs);

    socket.on('data', (chunk) => {
      size += chunk.length;
      chunks.push(chunk);
      if (until !== undefined && Buffer.concat(chunks).includes(`\n${until}\n`)) finish(undefined);
      else if (size > MAX_ANSWER_BYTES) fail('broken', `answer larger than ${MAX_ANSWER_BYTES} bytes`);
    });
    socket.on('end', () => finish(undefined));
    socket.on('error', (err: NodeJS.ErrnoException) => fail(probeFailureOf(err.code), err.message, err));
    socket.connect({ host, port }, () => socket.write(word));
  });
}
