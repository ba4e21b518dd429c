import { InvalidInputError } from '../errors.js';
import type { ConfigMember, EnsembleConfig, Role } from './model.js';

// The membership config text: `server.N=host:quorumPort:electionPort:role;clientHost:clientPort`
// lines, plus `version=<hex>` in the `/zookeeper/config` znode (never in a dynamic config file,
// where ZooKeeper refuses it). One parser and one renderer serve the znode, the bootstrap files and
// reconfig's joining lines.

/** Larger than any real config (255 members is ~20 KB); a guard against reading garbage. */
export const MAX_CONFIG_TEXT_BYTES = 64 * 1024;

const ZK_ROLE: Record<Role, string> = { voter: 'participant', observer: 'observer' };

export function renderServerLine(m: ConfigMember): string {
  return `server.${m.serverId}=${m.host}:${m.quorumPort}:${m.electionPort}:${ZK_ROLE[m.role]};${m.clientHost}:${m.clientPort}`;
}

/** The dynamic config file a server boots from: members sorted by id, no version line. */
export function renderDynamicConfig(members: readonly ConfigMember[]): string {
  return `${sortById(members).map(renderServerLine).join('\n')}\n`;
}

/** The znode's text form (sorted by id; ZooKeeper itself writes hash order). */
export function renderEnsembleConfig(config: EnsembleConfig): string {
  return [...sortById(config.members).map(renderServerLine), `version=${config.version.toString(16)}`].join('\n');
}

/** Parses the `/zookeeper/config` znode (or 4lw `conf` tail): a version line is required. */
export function parseEnsembleConfig(text: string, source: string): EnsembleConfig {
  const { members, version } = parseLines(text, source);
  if (version === undefined) throw new InvalidInputError(source, ['version: missing (no "version=" line)']);
  return { version, members };
}

/** Parses a dynamic config file: ZooKeeper forbids a version line there. */
export function parseDynamicConfig(text: string, source: string): ConfigMember[] {
  const { members, version } = parseLines(text, source);
  if (version !== undefined) {
    throw new InvalidInputError(source, [`version: not allowed in a dynamic config file (got ${version.toString(16)})`]);
  }
  return members;
}

function parseLines(text: string, source: string): { members: ConfigMember[]; version: bigint | undefined } {
  if (text.length > MAX_CONFIG_TEXT_BYTES) {
    throw new InvalidInputError(source, [`text: ${text.length} characters, more than the ${MAX_CONFIG_TEXT_BYTES} a config can have`]);
  }
  const issues: string[] = [];
  const members: ConfigMember[] = [];
  const seen = new Set<number>();
  let version: bigint | undefined;
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (line === '') return;
    const where = `line ${index + 1} ${JSON.stringify(truncate(line))}`;
    const eq = line.indexOf('=');
    const key = eq < 0 ? line : line.slice(0, eq);
    const value = eq < 0 ? '' : line.slice(eq + 1);
    if (key === 'version') {
      if (version !== undefined) issues.push(`${where}: second version line`);
      else if (!/^[0-9a-fA-F]{1,16}$/.test(value)) issues.push(`${where}: version must be hex, got ${JSON.stringify(value)}`);
      // A version is the zxid of a reconfig, epoch 1 or later; 0 means reconfig is off. Epoch 0 with
      // a count is none of these: a `version=` line cut short (the znode ends with it).
      else if (BigInt(`0x${value}`) !== 0n && BigInt(`0x${value}`) < FIRST_EPOCH) issues.push(`${where}: version ${value} has epoch 0, which no config has (a line cut short?)`);
      else version = BigInt(`0x${value}`);
      return;
    }
    const id = /^server\.(\d{1,10})$/.exec(key);
    if (!id) {
      issues.push(`${where}: expected "server.<id>=" or "version=", got key ${JSON.stringify(truncate(key))}`);
      return;
    }
    const serverId = Number(id[1]);
    const parsed = parseServerValue(serverId, value);
    if (typeof parsed === 'string') issues.push(`${where}: ${parsed}`);
    else if (seen.has(serverId)) issues.push(`${where}: server id ${serverId} listed twice`);
    else {
      seen.add(serverId);
      members.push(parsed);
    }
  });
  if (issues.length > 0) throw new InvalidInputError(source, issues);
  if (members.length === 0) throw new InvalidInputError(source, ['members: no "server.<id>=" line']);
  return { members: sortById(members), version };
}

/** Returns the member, or a sentence saying what is wrong. */
function parseServerValue(serverId: number, value: string): ConfigMember | string {
  if (serverId < 1) return `server id must be at least 1, got ${serverId}`;
  const [serverPart = '', clientPart, ...extra] = value.split(';');
  if (extra.length > 0) return 'more than one ";"';
  if (clientPart === undefined) return 'no client address (";host:port")';
  const server = splitHost(serverPart);
  if (typeof server === 'string') return server;
  const [quorum, election, role, ...rest] = server.rest;
  if (rest.length > 0) return `unexpected fields after the role: ${JSON.stringify(rest.join(':'))}`;
  const quorumPort = parsePort('quorum port', quorum);
  if (typeof quorumPort === 'string') return quorumPort;
  const electionPort = parsePort('election port', election);
  if (typeof electionPort === 'string') return electionPort;
  let memberRole: Role;
  if (role === undefined || role === 'participant') memberRole = 'voter';
  else if (role === 'observer') memberRole = 'observer';
  else return `role must be participant or observer, got ${JSON.stringify(role)}`;

  const client = clientPart.includes(':') ? splitHost(clientPart) : { host: '0.0.0.0', rest: [clientPart] };
  if (typeof client === 'string') return client;
  if (client.rest.length !== 1) return `client address must be host:port, got ${JSON.stringify(clientPart)}`;
  const clientPort = parsePort('client port', client.rest[0]);
  if (typeof clientPort === 'string') return clientPort;
  return { serverId, role: memberRole, host: server.host, quorumPort, electionPort, clientHost: client.host, clientPort };
}

/** `host:a:b` or `[v6]:a:b` -> host and the remaining colon-separated fields. */
function splitHost(part: string): { host: string; rest: string[] } | string {
  if (part.startsWith('[')) {
    const close = part.indexOf(']');
    if (close < 0 || part[close + 1] !== ':') return `bad IPv6 address in ${JSON.stringify(truncate(part))}`;
    return { host: part.slice(0, close + 1), rest: part.slice(close + 2).split(':') };
  }
  const [host = '', ...rest] = part.split(':');
  if (!/^[A-Za-z0-9.-]{1,253}$/.test(host)) return `bad host ${JSON.stringify(truncate(host))}`;
  return { host, rest };
}

function parsePort(name: string, text: string | undefined): number | string {
  if (text === undefined) return `missing ${name}`;
  if (!/^\d{1,5}$/.test(text)) return `${name} must be a number, got ${JSON.stringify(truncate(text))}`;
  const port = Number(text);
  if (port < 1 || port > 65535) return `${name} must be 1..65535, got ${port}`;
  return port;
}

/** The first zxid of epoch 1: the version of the first config a leader commits. */
const FIRST_EPOCH = 1n << 32n;

function sortById(members: readonly ConfigMember[]): ConfigMember[] {
  return [...members].sort((a, b) => a.serverId - b.serverId);
}

function truncate(s: string): string {
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}
