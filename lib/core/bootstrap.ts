import type { ZooKeeperSettings } from '../config/spec.js';
import { InvalidInputError } from '../errors.js';
import { renderDynamicConfig } from './ensembleConfig.js';
import { MAX_SERVER_ID, MIN_SERVER_ID, votersOf, type ConfigMember, type Role, type ServerId } from './model.js';

// The files a ZooKeeper server boots from, rendered by one pure function for both the EC2 user
// data and the local process fleet, so local mode runs what EC2 runs.

/** The four-letter words the controller uses; everything else stays off. `dump` is read from the
 * leader only, when a server id is to be reused: its session tracker lists every live global session
 * (zookeeper-facts.md, ours). */
export const FOUR_LETTER_WORDS = ['ruok', 'srvr', 'mntr', 'conf', 'isro', 'dump'] as const;

export type Membership =
  /** A brand-new ensemble: every member, this server among them. */
  | { readonly kind: 'initial'; readonly members: readonly ConfigMember[] }
  /** A new server joining a running ensemble: the committed members, without it. It boots listed as
   * observer (it cannot form a quorum of its own), syncs as a non-voting follower, and only a
   * reconfig gives it its role. */
  | { readonly kind: 'join'; readonly committed: readonly ConfigMember[] }
  /** A member restarting: the committed members, it among them (a server cannot restart from
   * files that lack it). */
  | { readonly kind: 'rejoin'; readonly committed: readonly ConfigMember[] };

export interface BootstrapRequest {
  readonly cluster: string;
  readonly settings: ZooKeeperSettings;
  readonly allowEvenVoters: boolean;
  readonly serverId: ServerId;
  /** The server's own IPv4 address: it binds its client, quorum, election and admin ports there. */
  readonly host: string;
  /** Where zoo.cfg and its dynamic file live (ZooKeeper writes new dynamic files beside zoo.cfg). */
  readonly configDir: string;
  readonly dataDir: string;
  /** `super:<base64 sha1>`: who may reconfig. */
  readonly superDigest: string;
  readonly membership: Membership;
}

export interface ServerFiles {
  readonly zooCfg: string;
  readonly dynamicConfig: string;
  readonly myid: string;
}

export function zooCfgPath(configDir: string): string {
  return `${configDir}/zoo.cfg`;
}

export function dynamicConfigPath(configDir: string): string {
  return `${configDir}/zoo.cfg.dynamic`;
}

/** The config line of a server that uses the cluster's standard ports on its own address. */
export function memberAt(settings: ZooKeeperSettings, serverId: ServerId, host: string, role: Role): ConfigMember {
  return {
    serverId,
    role,
    host,
    quorumPort: settings.quorumPort,
    electionPort: settings.electionPort,
    clientHost: host,
    clientPort: settings.clientPort,
  };
}

const MAX_NOTIFICATION_INTERVAL_MS = 2000;

export function renderServerFiles(req: BootstrapRequest): ServerFiles {
  const members = membersToBoot(req);
  const s = req.settings;
  const zooCfg = [
    `# zk-autoscaler: cluster ${req.cluster}, server ${req.serverId}. Rendered, not edited by hand;`,
    '# ZooKeeper rewrites this file after every reconfig.',
    `tickTime=${s.tickTimeMs}`,
    `initLimit=${s.initLimit}`,
    `syncLimit=${s.syncLimit}`,
    `dataDir=${req.dataDir}`,
    `dynamicConfigFile=${dynamicConfigPath(req.configDir)}`,
    'reconfigEnabled=true',
    // A lone participant must never elect itself: that is a split brain.
    'standaloneEnabled=false',
    `4lw.commands.whitelist=${FOUR_LETTER_WORDS.join(',')}`,
    ...adminServerLines(req),
    `preAllocSize=${s.preAllocSizeKb}`,
    `autopurge.snapRetainCount=${s.snapRetainCount}`,
    `autopurge.purgeInterval=${s.purgeIntervalHours}`,
    // Unknown keys become `zookeeper.`-prefixed system properties: this one lets the super user reconfig.
    `DigestAuthenticationProvider.superDigest=${req.superDigest}`,
    // A looking server that hears nothing doubles its wait between notifications up to 60 s by
    // default, so one lost message could keep a restarted server out of the ensemble that long.
    `fastleader.maxNotificationInterval=${MAX_NOTIFICATION_INTERVAL_MS}`,
    '',
  ].join('\n');
  return { zooCfg, dynamicConfig: renderDynamicConfig(members), myid: `${req.serverId}\n` };
}

/** The AdminServer answers without authentication, the super digest among its answers: loopback
 * unless the spec says otherwise. A local server's own address is already loopback (127/8), and
 * servers sharing a host must not share an address; an EC2 server (bound to 0.0.0.0) gets 127.0.0.1. */
function adminServerLines(req: BootstrapRequest): string[] {
  const mode = req.settings.adminServer;
  if (mode === 'off') return ['admin.enableServer=false'];
  const address = mode === 'server-address' || req.host.startsWith('127.') ? req.host : '127.0.0.1';
  return ['admin.enableServer=true', `admin.serverAddress=${address}`, `admin.serverPort=${req.settings.adminPort}`];
}

/** A cluster name as the spec defines it (lib/config/spec.ts): it is rendered into a comment line. */
const CLUSTER_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;
/** Text that would end a zoo.cfg line early or join it with the next: control characters (a
 * newline would start a line of its own, e.g. skipACL=yes) and backslashes (a properties escape; a
 * trailing one continues the line). */
const BREAKS_A_LINE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\\]/;

/** Every free value rendered into zoo.cfg, checked so that it stays one value on one line. */
function renderedTextProblems(req: BootstrapRequest): string[] {
  const problems: string[] = [];
  if (!CLUSTER_NAME.test(req.cluster)) problems.push(`cluster: must be a cluster name (lowercase letters, digits, "-") to be rendered (got ${JSON.stringify(req.cluster)})`);
  for (const key of ['dataDir', 'configDir'] as const) {
    const path = req[key];
    if (!path.startsWith('/') || BREAKS_A_LINE.test(path)) {
      problems.push(`${key}: must be an absolute path without control characters or backslashes (got ${JSON.stringify(path)})`);
    }
  }
  return problems;
}

function membersToBoot(req: BootstrapRequest): ConfigMember[] {
  const problems: string[] = renderedTextProblems(req);
  const fail = (): never => {
    throw new InvalidInputError('bootstrap request', problems);
  };
  if (!Number.isInteger(req.serverId) || req.serverId < MIN_SERVER_ID || req.serverId > MAX_SERVER_ID) {
    problems.push(`serverId: must be an integer ${MIN_SERVER_ID}..${MAX_SERVER_ID} (got ${String(req.serverId)})`);
  }
  if (!isIPv4(req.host)) problems.push(`host: must be an IPv4 address (got ${JSON.stringify(req.host)})`);
  if (!/^super:[A-Za-z0-9+/]{27}=$/.test(req.superDigest)) {
    problems.push('superDigest: must be "super:" followed by a base64 SHA-1 (28 characters)');
  }
  const listed = req.membership.kind === 'initial' ? req.membership.members : req.membership.committed;
  if (listed.length === 0) problems.push(`membership.${membersKey(req.membership)}: empty`);
  listed.forEach((m, i) => problems.push(...memberProblems(`membership.${membersKey(req.membership)}[${i}]`, m)));
  problems.push(...clashes(listed));
  if (problems.length > 0) fail();

  const self = listed.find((m) => m.serverId === req.serverId);
  let members: ConfigMember[];
  switch (req.membership.kind) {
    case 'initial':
    case 'rejoin':
      if (!self) problems.push(`serverId: ${req.serverId} is not in membership.${membersKey(req.membership)}`);
      else if (self.host !== req.host) {
        problems.push(`host: server ${req.serverId} is listed at ${self.host}, not at ${JSON.stringify(req.host)}`);
      }
      members = [...listed];
      break;
    case 'join':
      // Whether an id that left may come back is the allocator's to judge (serverIds.ts): it needs the
      // leader's sessions, which a renderer does not see. A member's id never may.
      if (self) problems.push(`serverId: ${req.serverId} is already a member of the committed config`);
      members = [...listed, memberAt(req.settings, req.serverId, req.host, 'observer')];
      problems.push(...clashes(members));
      break;
  }
  const voters = votersOf(members).length;
  if (voters === 0) problems.push('membership: no voter');
  if (req.membership.kind === 'initial' && voters % 2 === 0 && !req.allowEvenVoters) {
    problems.push(`membership.members: ${voters} voters; the spec allows only an odd count`);
  }
  if (problems.length > 0) fail();
  return members;
}

function membersKey(m: Membership): string {
  return m.kind === 'initial' ? 'members' : 'committed';
}

function memberProblems(field: string, m: ConfigMember): string[] {
  const problems: string[] = [];
  if (!Number.isInteger(m.serverId) || m.serverId < MIN_SERVER_ID || m.serverId > MAX_SERVER_ID) {
    problems.push(`${field}.serverId: must be an integer ${MIN_SERVER_ID}..${MAX_SERVER_ID} (got ${String(m.serverId)})`);
  }
  if (m.role !== 'voter' && m.role !== 'observer') problems.push(`${field}.role: must be voter or observer (got ${JSON.stringify(m.role)})`);
  for (const key of ['host', 'clientHost'] as const) {
    if (!isIPv4(m[key])) problems.push(`${field}.${key}: must be an IPv4 address (got ${JSON.stringify(m[key])})`);
  }
  for (const key of ['quorumPort', 'electionPort', 'clientPort'] as const) {
    if (!Number.isInteger(m[key]) || m[key] < 1 || m[key] > 65535) {
      problems.push(`${field}.${key}: must be a port 1..65535 (got ${String(m[key])})`);
    }
  }
  return problems;
}

/** Two members on one id, or on one address and port, would fight over it. */
function clashes(members: readonly ConfigMember[]): string[] {
  const problems: string[] = [];
  const ids = new Set<number>();
  const endpoints = new Map<string, number>();
  for (const m of members) {
    if (ids.has(m.serverId)) problems.push(`membership: server id ${m.serverId} listed twice`);
    ids.add(m.serverId);
    for (const endpoint of [`${m.host}:${m.quorumPort}`, `${m.host}:${m.electionPort}`, `${m.clientHost}:${m.clientPort}`]) {
      const owner = endpoints.get(endpoint);
      if (owner !== undefined && owner !== m.serverId) problems.push(`membership: servers ${owner} and ${m.serverId} both use ${endpoint}`);
      endpoints.set(endpoint, m.serverId);
    }
  }
  return problems;
}

function isIPv4(text: string): boolean {
  const parts = text.split('.');
  return parts.length === 4 && parts.every((p) => /^(0|[1-9]\d{0,2})$/.test(p) && Number(p) <= 255);
}

/** The zone of an initial member (ids 1..n): round the zones when spreading, else the first. */
export function initialZone(spec: { readonly zones: readonly { readonly name: string }[]; readonly zonePolicy: 'spread' | 'pack' }, serverId: ServerId): string {
  const zones = spec.zones.map((z) => z.name);
  return (spec.zonePolicy === 'pack' ? zones[0] : zones[(serverId - 1) % zones.length]) ?? 'local';
}
