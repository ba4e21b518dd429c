import type { ServerMode } from '../core/health.js';
import { InvalidInputError } from '../errors.js';

// The 4lw `srvr` answer: the only 4lw with the zxid, and the cheapest "is it serving, in which mode".

export const NOT_SERVING = 'This ZooKeeper instance is not currently serving requests';

export const MODES: readonly ServerMode[] = ['leader', 'follower', 'observer', 'standalone', 'read-only'];

export interface SrvrStats {
  readonly version: string;
  readonly latencyMs: { readonly min: number; readonly avg: number; readonly max: number };
  readonly received: number;
  readonly sent: number;
  readonly connections: number;
  readonly outstanding: number;
  readonly zxid: bigint;
  readonly mode: ServerMode;
  readonly nodeCount: number;
}

export type SrvrAnswer = { readonly serving: false } | ({ readonly serving: true } & SrvrStats);

export function parseSrvr(text: string, source: string): SrvrAnswer {
  if (text.trim() === NOT_SERVING) return { serving: false };
  const fields = new Map<string, string>();
  for (const line of text.split('\n')) {
    const colon = line.indexOf(': ');
    if (colon > 0) fields.set(line.slice(0, colon), line.slice(colon + 2).trim());
  }
  const issues: string[] = [];
  const field = (key: string): string => {
    const value = fields.get(key);
    if (value === undefined) issues.push(`${key}: missing`);
    return value ?? '';
  };
  const integer = (key: string, pattern = /^\d{1,15}$/): number => {
    const value = field(key);
    if (value !== '' && !pattern.test(value)) issues.push(`${key}: not a whole number (got ${JSON.stringify(value)})`);
    return Number(value);
  };
  const latencyText = field('Latency min/avg/max');
  const latency = /^(\d+)\/(\d+(?:\.\d+)?)\/(\d+)$/.exec(latencyText);
  if (latencyText !== '' && !latency) issues.push(`Latency min/avg/max: expected min/avg/max (got ${JSON.stringify(latencyText)})`);
  const zxidText = field('Zxid');
  if (zxidText !== '' && !/^0x[0-9a-fA-F]{1,16}$/.test(zxidText)) issues.push(`Zxid: expected 0x<hex> (got ${JSON.stringify(zxidText)})`);
  const mode = field('Mode');
  if (mode !== '' && !MODES.includes(mode as ServerMode)) issues.push(`Mode: unknown (got ${JSON.stringify(mode)})`);
  const stats = {
    version: field('Zookeeper version'),
    latencyMs: { min: Number(latency?.[1]), avg: Number(latency?.[2]), max: Number(latency?.[3]) },
    received: integer('Received'),
    sent: integer('Sent'),
    connections: integer('Connections'),
    // ZooKeeper 3.8's in-process count (srvr's Outstanding, mntr's zk_outstanding_requests) was seen
    // at -1 on a serving follower (zookeeper-facts.md): read as none outstanding, not as a bad answer.
    outstanding: Math.max(0, integer('Outstanding', /^-?\d{1,15}$/)),
    zxid: issues.some((i) => i.startsWith('Zxid')) || zxidText === '' ? 0n : BigInt(zxidText),
    mode: mode as ServerMode,
    nodeCount: integer('Node count'),
  };
  if (issues.length > 0) throw new InvalidInputError(source, issues);
  return { serving: true, ...stats };
}
