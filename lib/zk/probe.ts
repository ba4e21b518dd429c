import { request } from 'node:http';
import type { MemberProbe, ProbeResult } from '../core/health.js';
import type { ServerId } from '../core/model.js';
import { InvalidInputError } from '../errors.js';
import { parseConfServerId } from './conf.js';
import { ProbeFailedError, probeFailureOf, type ProbeFailure } from './errors.js';
import { sendFourLetterWord } from './fourLetterWord.js';
import { healthFrom, monitorJsonToMntr, parseMntr } from './mntr.js';
import { MODES, NOT_SERVING, parseSrvr, type SrvrStats } from './srvr.js';

// Health of each member from `srvr` + `mntr`, over four-letter words or the AdminServer's HTTP
// JSON, and who answered (`conf`'s server id: an address can change hands). `ruok` is never asked:
// it answers `imok` on a server that has no quorum. Every probe ends by its deadline with one of
// four typed results; all members are probed in parallel.

export interface ProbeOptions {
  readonly timeoutMs: number;
  readonly via: 'four-letter-words' | 'admin-server';
  readonly clientPort: number;
  readonly adminPort: number;
}

export interface ProbeTarget {
  readonly serverId: ServerId;
  readonly host: string;
}

export async function probeMembers(targets: readonly ProbeTarget[], options: ProbeOptions): Promise<MemberProbe[]> {
  return Promise.all(
    targets.map(async ({ serverId, host }) => {
      const started = performance.now();
      const result = await probeServer(host, options, serverId);
      const port = options.via === 'admin-server' ? options.adminPort : options.clientPort;
      return { serverId, endpoint: `${host}:${port}`, result, tookMs: Math.round(performance.now() - started) };
    }),
  );
}

/** The server's health; with `expected`, a serving server that says it has another id is a bad answer. */
export async function probeServer(host: string, options: ProbeOptions, expected?: ServerId): Promise<ProbeResult> {
  try {
    const { result, serverId } = options.via === 'admin-server' ? await viaAdminServer(host, options) : await viaFourLetterWords(host, options);
    if (expected !== undefined && serverId !== undefined && serverId !== expected) {
      return { status: 'bad-answer', detail: `server ${serverId} answered at ${host}, not ${expected}` };
    }
    return result;
  } catch (err) {
    if (err instanceof ProbeFailedError) return { status: 'no-answer', failure: err.failure, detail: err.message };
    if (err instanceof InvalidInputError) return { status: 'bad-answer', detail: err.message };
    throw err;
  }
}

/** A probe's result and, for a serving server, the id it says it has (a server that does not
 * serve answers no `conf`). */
interface Answer {
  readonly result: ProbeResult;
  readonly serverId?: ServerId;
}

async function viaFourLetterWords(host: string, options: ProbeOptions): Promise<Answer> {
  const [srvrText, mntrText, confText] = await Promise.all([
    sendFourLetterWord(host, options.clientPort, 'srvr', options.timeoutMs),
    sendFourLetterWord(host, options.clientPort, 'mntr', options.timeoutMs),
    sendFourLetterWord(host, options.clientPort, 'conf', options.timeoutMs),
  ]);
  const source = `${host}:${options.clientPort}`;
  const srvr = parseSrvr(srvrText, `srvr from ${source}`);
  if (!srvr.serving || mntrText.trim() === NOT_SERVING || confText.trim() === NOT_SERVING) return { result: { status: 'not-serving', detail: NOT_SERVING } };
  const health = healthFrom(srvr, parseMntr(mntrText, `mntr from ${source}`), `mntr from ${source}`);
  return { result: { status: 'serving', health }, serverId: parseConfServerId(confText, `conf from ${source}`) };
}

async function viaAdminServer(host: string, options: ProbeOptions): Promise<Answer> {
  const base = `http://${host}:${options.adminPort}/commands`;
  const srvrText = await httpGet(`${base}/srvr`, options.timeoutMs);
  const srvr = adminSrvr(srvrText, `${base}/srvr`);
  if (!srvr.serving) return { result: { status: 'not-serving', detail: srvr.error } };
  const [monitorText, confText] = await Promise.all([httpGet(`${base}/monitor`, options.timeoutMs), httpGet(`${base}/conf`, options.timeoutMs)]);
  const monitor = parseJson(monitorText, `${base}/monitor`);
  const serverId = (parseJson(confText, `${base}/conf`) as { server_id?: unknown }).server_id;
  const health = healthFrom(srvr.stats, monitorJsonToMntr(monitor, `${base}/monitor`), `${base}/monitor`);
  return { result: { status: 'serving', health }, serverId: parseConfServerId(`serverId=${String(serverId)}`, `${base}/conf`) };
}

/** `/commands/srvr` (answered as `server_stats`) into the 4lw `srvr` shape. */
function adminSrvr(text: string, source: string): { serving: false; error: string } | { serving: true; stats: SrvrStats } {
  const json = parseJson(text, source) as Record<string, unknown>;
  if (typeof json.error === 'string') return { serving: false, error: json.error };
  const stats = json.server_stats as Record<string, unknown> | undefined;
  const issues: string[] = [];
  const num = (key: string, from: Record<string, unknown> | undefined): number => {
    const value = from?.[key];
    if (typeof value !== 'number') issues.push(`${key}: expected a number (got ${JSON.stringify(value)})`);
    return typeof value === 'number' ? value : 0;
  };
  // JSON numbers lose precision past 2^53: read the zxid from the text.
  const zxid = /"last_processed_zxid"\s*:\s*(\d{1,20})/.exec(text)?.[1];
  if (zxid === undefined) issues.push('server_stats.last_processed_zxid: missing');
  const mode = stats?.server_state;
  if (!MODES.includes(mode as SrvrStats['mode'])) issues.push(`server_stats.server_state: unknown (got ${JSON.stringify(mode)})`);
  const result: SrvrStats = {
    version: typeof json.version === 'string' ? json.version : '',
    latencyMs: { min: num('min_latency', stats), avg: num('avg_latency', stats), max: num('max_latency', stats) },
    received: num('packets_received', stats),
    sent: num('packets_sent', stats),
    connections: num('num_alive_client_connections', stats),
    outstanding: num('outstanding_requests', stats),
    zxid: BigInt(zxid ?? 0),
    mode: mode as SrvrStats['mode'],
    nodeCount: num('node_count', json),
  };
  if (issues.length > 0) throw new InvalidInputError(source, issues);
  return { serving: true, stats: result };
}

function parseJson(text: string, source: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new InvalidInputError(source, [`(root): not JSON (${JSON.stringify(text.slice(0, 60))})`], { cause: err });
  }
}

/** GET with a deadline; any status is returned as text (the AdminServer answers 500 with an HTML
 * page when not serving), connection failures become ProbeFailedError. */
function httpGet(url: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'GET', agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        clearTimeout(timer);
        const body = Buffer.concat(chunks).toString('utf8');
        if (res.statusCode === 500 && body.includes('"zkServer" is null')) resolve(JSON.stringify({ error: NOT_SERVING }));
        else resolve(body);
      });
      res.on('error', (err) => fail('broken', err));
    });
    const fail = (failure: ProbeFailure, err: Error): void => {
      clearTimeout(timer);
      req.destroy();
      reject(new ProbeFailedError(url, 'GET', failure, err.message, { cause: err }));
    };
    const timer = setTimeout(() => fail('timeout', new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    req.on('error', (err: NodeJS.ErrnoException) => fail(probeFailureOf(err.code), err));
    req.end();
  });
}
