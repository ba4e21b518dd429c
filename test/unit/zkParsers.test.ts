import { describe, expect, it } from 'vitest';
import { membersBlockingReconfig, parseEnsembleConfig, type MemberProbe, type ServerHealth } from '../../lib/core/index.js';
import { InvalidInputError } from '../../lib/errors.js';
import {
  BadArgumentsError,
  BadVersionError,
  ConnectionLossError,
  encodeReconfigRequest,
  errorForCode,
  healthFrom,
  monitorJsonToMntr,
  NewConfigNoQuorumError,
  parseLeaderSessions,
  NotAuthorisedError,
  parseMntr,
  parseSrvr,
  ReconfigDisabledError,
  ReconfigInProgressError,
  SessionExpiredError,
  UnexpectedZooKeeperError,
} from '../../lib/zk/index.js';

// Samples are real answers from Debian's ZooKeeper 3.8.0 (docs/zookeeper-facts.md §c, §g).

const SRVR_LEADER = `Zookeeper version: 3.8.0-\${mvngit.commit.id}, built on 2024-12-29 17:54 UTC
Latency min/avg/max: 0/3.4599/71
Received: 1362
Sent: 1384
Connections: 2
Outstanding: 1
Zxid: 0x10000053c
Mode: leader
Node count: 1334
Proposal sizes last/min/max: 136/48/377
`;

const MNTR_LEADER = [
  'zk_version\t3.8.0-${mvngit.commit.id}, built on 2024-12-29 17:54 UTC',
  'zk_server_state\tleader',
  'zk_peer_state\tleading - broadcast',
  'zk_avg_latency\t3.4599',
  'zk_min_latency\t0',
  'zk_max_latency\t71',
  'zk_outstanding_requests\t1',
  'zk_num_alive_connections\t2',
  'zk_packets_received\t1362',
  'zk_packets_sent\t1384',
  'zk_znode_count\t1334',
  'zk_watch_count\t0',
  'zk_ephemerals_count\t0',
  'zk_approximate_data_size\t12345',
  'zk_open_file_descriptor_count\t48',
  'zk_max_file_descriptor_count\t20000',
  'zk_quorum_size\t3',
  'zk_synced_followers\t3',
  'zk_synced_non_voting_followers\t1',
  'zk_synced_observers\t1',
  'zk_learners\t4',
  'zk_pending_syncs\t0',
  'zk_avg_7_ack_latency\t0.5',
  '',
].join('\n');

function health(): ServerHealth {
  const srvr = parseSrvr(SRVR_LEADER, 'srvr');
  if (!srvr.serving) throw new Error('sample must be serving');
  return healthFrom(srvr, parseMntr(MNTR_LEADER, 'mntr'), 'mntr');
}

function issuesOf(fn: () => unknown): readonly string[] {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidInputError);
    return (err as InvalidInputError).issues;
  }
  throw new Error('expected an InvalidInputError');
}

describe('srvr', () => {
  it('reads mode, zxid (which mntr lacks), latency and counters', () => {
    expect(parseSrvr(SRVR_LEADER, 'srvr')).toMatchObject({
      serving: true,
      mode: 'leader',
      zxid: 0x10000053cn,
      latencyMs: { min: 0, avg: 3.4599, max: 71 },
      outstanding: 1,
      connections: 2,
      nodeCount: 1334,
    });
  });

  it('reads an outstanding count of -1 (seen on a serving 3.8.0 follower) as none outstanding, and still refuses a count that is no number', () => {
    expect(parseSrvr(SRVR_LEADER.replace('Outstanding: 1', 'Outstanding: -1'), 'srvr')).toMatchObject({ serving: true, outstanding: 0 });
    expect(issuesOf(() => parseSrvr(SRVR_LEADER.replace('Outstanding: 1', 'Outstanding: -x'), 'srvr'))).toEqual(['Outstanding: not a whole number (got "-x")']);
    expect(issuesOf(() => parseSrvr(SRVR_LEADER.replace('Received: 1362', 'Received: -1'), 'srvr'))).toEqual(['Received: not a whole number (got "-1")']);
    const srvr = parseSrvr(SRVR_LEADER, 'srvr');
    if (!srvr.serving) throw new Error('serving');
    expect(healthFrom(srvr, parseMntr(MNTR_LEADER.replace('zk_outstanding_requests\t1', 'zk_outstanding_requests\t-1'), 'mntr'), 'mntr').outstandingRequests).toBe(0);
  });

  it('tells a server that is up but not serving', () => {
    expect(parseSrvr('This ZooKeeper instance is not currently serving requests\n', 'srvr')).toEqual({ serving: false });
  });

  it('names the key and value that are malformed', () => {
    expect(issuesOf(() => parseSrvr(SRVR_LEADER.replace('Zxid: 0x10000053c', 'Zxid: banana'), 'srvr'))).toEqual(['Zxid: expected 0x<hex> (got "banana")']);
    expect(issuesOf(() => parseSrvr(SRVR_LEADER.replace('Mode: leader', 'Mode: emperor'), 'srvr'))).toEqual(['Mode: unknown (got "emperor")']);
    expect(issuesOf(() => parseSrvr('imok', 'srvr'))).toContain('Mode: missing');
  });
});

describe('mntr', () => {
  it('joins srvr and mntr into one health, counting the leader\'s synced voters as followers - non-voting + 1', () => {
    const h = health();
    expect(h).toMatchObject({ mode: 'leader', zxid: 0x10000053cn, votersInConfig: 3, outstandingRequests: 1, connections: 2 });
    expect(h.leader).toEqual({ syncedFollowers: 3, syncedNonVotingFollowers: 1, syncedObservers: 1, learners: 4, pendingSyncs: 0, syncedVoters: 3 });
  });

  it('keeps the keys it does not read', () => {
    expect(health().extra).toEqual({ zk_avg_7_ack_latency: '0.5' });
  });

  it('names the key and value that are malformed', () => {
    const srvr = parseSrvr(SRVR_LEADER, 'srvr');
    if (!srvr.serving) throw new Error('serving');
    const bad = parseMntr(MNTR_LEADER.replace('zk_outstanding_requests\t1', 'zk_outstanding_requests\tmany'), 'mntr');
    expect(issuesOf(() => healthFrom(srvr, bad, 'mntr'))).toEqual(['zk_outstanding_requests: not a whole number (got "many")']);
    expect(issuesOf(() => parseMntr('zk_a\t1\nno tab here\n', 'mntr'))).toEqual(['line 2: expected "zk_<key><TAB><value>" (got "no tab here")']);
    expect(issuesOf(() => parseMntr('zk_a\t1\nzk_a\t2\n', 'mntr'))).toEqual(['zk_a: listed twice']);
  });

  it('refuses a mode that changed between the srvr and the mntr answer', () => {
    const srvr = parseSrvr(SRVR_LEADER.replace('Mode: leader', 'Mode: follower'), 'srvr');
    if (!srvr.serving) throw new Error('serving');
    expect(issuesOf(() => healthFrom(srvr, parseMntr(MNTR_LEADER, 'mntr'), 'mntr'))[0]).toMatch(/role changed between the two answers/);
  });

  it("reads the AdminServer's monitor JSON as the same keys", () => {
    expect(monitorJsonToMntr({ server_state: 'leader', avg_latency: 4.5, synced_followers: 3, command: 'monitor', error: null }, 'monitor')).toEqual(
      new Map([['zk_server_state', 'leader'], ['zk_avg_latency', '4.5'], ['zk_synced_followers', '3']]),
    );
  });
});

describe('server versions', () => {
  const probe = (serverId: number, version: string): MemberProbe => ({
    serverId,
    endpoint: `10.0.0.${serverId}:2181`,
    tookMs: 1,
    result: { status: 'serving', health: { ...health(), version } },
  });

  it('blocks reconfig while any member runs a ZooKeeper older than 3.5.9 / 3.6.2', () => {
    expect(membersBlockingReconfig([probe(1, '3.8.0-abc, built on x'), probe(2, '3.6.2'), probe(3, '3.5.9')])).toEqual([]);
    expect(membersBlockingReconfig([probe(1, '3.8.0'), probe(2, '3.6.1'), probe(3, '3.5.8-1'), probe(4, 'unknown')])).toEqual([
      { serverId: 2, version: '3.6.1' },
      { serverId: 3, version: '3.5.8-1' },
      { serverId: 4, version: 'unknown' },
    ]);
  });
});

describe('reconfig on the wire', () => {
  it('encodes ReconfigRequest as jute: ustrings with -1 for null, then the 8-byte config version', () => {
    const bytes = encodeReconfigRequest({ leaving: [4, 5], fromConfig: 0x10000000cn });
    expect(bytes.toString('hex')).toBe(
      ['ffffffff', '00000003' + Buffer.from('4,5').toString('hex'), 'ffffffff', '000000010000000c'].join(''),
    );
  });

  it('maps every reconfig answer to its own error type', () => {
    const call = { server: '10.0.0.1:2181', operation: 'reconfig', args: 'leaving=4 fromConfig=10000000c' };
    expect(errorForCode(-103, call)).toBeInstanceOf(BadVersionError);
    expect(errorForCode(-14, call)).toBeInstanceOf(ReconfigInProgressError);
    expect(errorForCode(-13, call)).toBeInstanceOf(NewConfigNoQuorumError);
    expect(errorForCode(-123, call)).toBeInstanceOf(ReconfigDisabledError);
    expect(errorForCode(-8, call)).toBeInstanceOf(BadArgumentsError);
    expect(errorForCode(-5, call)).toBeInstanceOf(BadArgumentsError);
    expect(errorForCode(-102, call)).toBeInstanceOf(NotAuthorisedError);
    expect(errorForCode(-4, call)).toBeInstanceOf(ConnectionLossError);
    expect(errorForCode(-112, call)).toBeInstanceOf(SessionExpiredError);
    expect(errorForCode(-999, call)).toBeInstanceOf(UnexpectedZooKeeperError);
    expect(errorForCode(-13, call).message).toBe('reconfig(leaving=4 fromConfig=10000000c) on 10.0.0.1:2181: the new config would have no synced quorum');
    expect(errorForCode(-13, call).context).toMatchObject({ server: '10.0.0.1:2181', operation: 'reconfig', code: -13 });
  });
});

describe('/zookeeper/config', () => {
  it('parses hash-ordered lines with the version ZooKeeper writes', () => {
    const config = parseEnsembleConfig(
      [
        'server.1=127.0.10.1:2888:3888:participant;127.0.10.1:2181',
        'server.9=127.0.10.9:2888:3888:observer;127.0.10.9:2181',
        'server.2=127.0.10.2:2888:3888:participant;127.0.10.2:2181',
        'version=10000000c',
      ].join('\n'),
      'znode',
    );
    expect(config.version).toBe(0x10000000cn);
    expect(config.members.map((m) => `${m.serverId}:${m.role}`)).toEqual(['1:voter', '2:voter', '9:observer']);
  });

  it('names the line and what is wrong with it', () => {
    expect(issuesOf(() => parseEnsembleConfig('server.1=127.0.0.1:2888:3888:participant\nversion=100000000', 'znode'))).toEqual([
      'line 1 "server.1=127.0.0.1:2888:3888:participant": no client address (";host:port")',
    ]);
    expect(issuesOf(() => parseEnsembleConfig('server.1=127.0.0.1:2888:3888:leader;127.0.0.1:2181\nversion=1', 'znode'))[0]).toMatch(
      /role must be participant or observer, got "leader"/,
    );
    expect(issuesOf(() => parseEnsembleConfig('server.1=127.0.0.1:2888:3888:participant;127.0.0.1:2181', 'znode'))).toEqual([
      'version: missing (no "version=" line)',
    ]);
  });

  it('refuses a version line cut short (epoch 0), and takes version 0 (reconfig off)', () => {
    const server = 'server.1=127.0.0.1:2888:3888:participant;127.0.0.1:2181';
    expect(issuesOf(() => parseEnsembleConfig(`${server}\nversion=1000000`, 'znode'))).toEqual([
      'line 2 "version=1000000": version 1000000 has epoch 0, which no config has (a line cut short?)',
    ]);
    expect(parseEnsembleConfig(`${server}\nversion=0`, 'znode').version).toBe(0n);
    expect(parseEnsembleConfig(`${server}\nversion=100000000`, 'znode').version).toBe(0x100000000n);
  });
});

describe('the leader\'s dump', () => {
  // As 3.8.0's leader answered on this machine (zookeeper-facts.md, ours): two sessions, one bucket.
  const leader = [
    'SessionTracker dump:',
    'Session Sets (1)/(2):',
    '2 expire at Tue Dec 01 18:28:02 UTC 2026:',
    '\t0x1000095c1270000',
    '\t0x3000095c1560000',
    'ephemeral nodes dump:',
    'Sessions with Ephemerals (1):',
    '0x1000095c1270000:',
    '\t/eph',
    'Connections dump:',
    '',
  ].join('\n');

  it('lists every live global session, its creator in the top byte', () => {
    expect(parseLeaderSessions(leader, 'dump from server 3')).toEqual([0x1000095c1270000n, 0x3000095c1560000n]);
    expect(parseLeaderSessions('SessionTracker dump:\nSession Sets (0)/(0):\nephemeral nodes dump:\n', 'dump')).toEqual([]);
  });

  it.each([
    ["a follower's copy", leader.replace('Session Sets (1)/(2):', 'Global Sessions(2):'), "line 2: a learner's list (got \"Global Sessions(2):\"): only the leader's is complete"],
    ['fewer sessions listed than counted', leader.replace('(1)/(2)', '(1)/(3)'), 'Session Sets: 2 sessions listed, 3 counted (a dump taken while sessions moved)'],
    ['a bucket cut short', leader.replace('2 expire', '3 expire'), 'line 6: expected a tab and a session id 0x<hex> (got "ephemeral nodes dump:")'],
    ['a session id that is not hex', leader.replace('0x3000095c1560000\n', '0xZZ\n'), 'line 5: expected a tab and a session id 0x<hex> (got "\\t0xZZ")'],
    ['local sessions on', leader.replace('Session Sets', 'Local Session Sets'), 'line 2: expected "Session Sets (<buckets>)/(<sessions>):" (got "Local Session Sets (1)/(2):"; local sessions must stay off)'],
    ['a server that does not serve', 'This ZooKeeper instance is not currently serving requests\n', 'dump: the server is not serving'],
    ['no end', 'SessionTracker dump:\nSession Sets (0)/(0):\n', 'line 3: expected "<n> expire at <date>:" or "ephemeral nodes dump:" (got "")'],
  ])('refuses %s, naming the line', (_, text, issue) => {
    expect(() => parseLeaderSessions(text, 'dump from server 3')).toThrow(new InvalidInputError('dump from server 3', [issue]));
  });
});
