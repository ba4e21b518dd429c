import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeServerFiles } from '../../lib/adapters/local/processFleet.js';
import { ZooKeeperSettingsSchema } from '../../lib/config/index.js';
import {
  memberAt,
  parseDynamicConfig,
  renderServerFiles,
  type BootstrapRequest,
  type ConfigMember,
} from '../../lib/core/index.js';
import { InvalidInputError } from '../../lib/errors.js';
import { superDigest } from '../../lib/zk/index.js';

const settings = ZooKeeperSettingsSchema.parse({});
const host = (id: number): string => `10.0.0.${id}`;
const voters = (...ids: number[]): ConfigMember[] => ids.map((id) => memberAt(settings, id, host(id), 'voter'));

function request(overrides: Partial<BootstrapRequest> = {}): BootstrapRequest {
  return {
    cluster: 'orders',
    settings,
    allowEvenVoters: false,
    serverId: 1,
    host: host(1),
    configDir: '/etc/zookeeper',
    dataDir: '/var/lib/zookeeper',
    superDigest: superDigest('secret'),
    membership: { kind: 'initial', members: voters(1, 2, 3) },
    ...overrides,
  };
}

function problemsOf(req: BootstrapRequest): string[] {
  try {
    renderServerFiles(req);
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidInputError);
    return [...(err as InvalidInputError).issues];
  }
  throw new Error('expected the bootstrap to refuse this request');
}

describe('renderServerFiles', () => {
  it('renders zoo.cfg with reconfig on, standalone off, the controller\'s 4lw, the AdminServer on loopback, the super digest and a bounded election back-off', () => {
    const files = renderServerFiles(request());
    // Every setting, exactly, in order: an extra line (skipACL=yes) or a key rendered twice fails.
    const settingLines = files.zooCfg.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
    expect(settingLines).toEqual([
      'tickTime=2000',
      'initLimit=10',
      'syncLimit=5',
      'dataDir=/var/lib/zookeeper',
      'dynamicConfigFile=/etc/zookeeper/zoo.cfg.dynamic',
      'reconfigEnabled=true',
      'standaloneEnabled=false',
      '4lw.commands.whitelist=ruok,srvr,mntr,conf,isro,dump',
      'admin.enableServer=true',
      'admin.serverAddress=127.0.0.1',
      'admin.serverPort=8080',
      'preAllocSize=65536',
      'autopurge.snapRetainCount=3',
      'autopurge.purgeInterval=1',
      'DigestAuthenticationProvider.superDigest=super:lK75jTNcA+U9vtVEw5vB51mj/w4=',
      'fastleader.maxNotificationInterval=2000',
    ]);
    // Comments are the only other lines: nothing ZooKeeper would read hides among them.
    expect(files.zooCfg.split('\n').filter((l) => l.startsWith('#'))).toHaveLength(2);
    // ZooKeeper takes the client address from the server line; a clientPort here would fight it.
    expect(files.zooCfg).not.toMatch(/^clientPort=/m);
    expect(files.myid).toBe('1\n');
  });

  it('binds the AdminServer to loopback (ZooKeeper serves the super digest there without auth) unless the spec asks otherwise', () => {
    const adminLines = (req: BootstrapRequest): string[] => renderServerFiles(req).zooCfg.split('\n').filter((l) => l.startsWith('admin.'));
    const joiner = (zookeeper: Record<string, unknown>, at: string): BootstrapRequest =>
      request({ settings: ZooKeeperSettingsSchema.parse(zookeeper), serverId: 4, host: at, membership: { kind: 'join', committed: voters(1, 2, 3) } });
    // EC2: the joiner binds every interface; its AdminServer only loopback.
    expect(adminLines(joiner({}, '0.0.0.0'))).toEqual(['admin.enableServer=true', 'admin.serverAddress=127.0.0.1', 'admin.serverPort=8080']);
    // Local: each server's own loopback address (servers share the host and the port).
    expect(adminLines(joiner({}, '127.0.10.4'))).toEqual(['admin.enableServer=true', 'admin.serverAddress=127.0.10.4', 'admin.serverPort=8080']);
    expect(adminLines(joiner({ adminServer: 'server-address' }, '0.0.0.0'))).toEqual(['admin.enableServer=true', 'admin.serverAddress=0.0.0.0', 'admin.serverPort=8080']);
    expect(adminLines(joiner({ adminServer: 'off' }, '0.0.0.0'))).toEqual(['admin.enableServer=false']);
  });

  it('refuses a cluster name or directory that would add lines to zoo.cfg (a newline once rendered skipACL=yes)', () => {
    expect(problemsOf(request({ cluster: 'orders\nskipACL=yes' }))).toContainEqual(expect.stringMatching(/^cluster: /));
    expect(problemsOf(request({ cluster: 'a=b' }))).toContainEqual(expect.stringMatching(/^cluster: /));
    expect(problemsOf(request({ dataDir: '/var/lib/zk\nskipACL=yes' }))).toContainEqual(expect.stringMatching(/^dataDir: /));
    expect(problemsOf(request({ configDir: '/etc/zk\r' }))).toContainEqual(expect.stringMatching(/^configDir: /));
    // A trailing backslash continues a properties line onto the next one.
    expect(problemsOf(request({ dataDir: '/var/lib/zk\\' }))).toContainEqual(expect.stringMatching(/^dataDir: /));
    expect(problemsOf(request({ dataDir: 'relative/dir' }))).toContainEqual(expect.stringMatching(/^dataDir: /));
  });

  it('writes a local server\'s files readable by its owner only (zoo.cfg holds the super digest)', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'zka-files-')), 'servers', '1');
    const placement = { serverId: 1, host: '127.0.10.1', configDir: dir, dataDir: join(dir, 'data') };
    writeServerFiles(placement, renderServerFiles(request({ host: '127.0.10.1', membership: { kind: 'initial', members: [memberAt(settings, 1, '127.0.10.1', 'voter')] } })));
    for (const file of [join(dir, 'zoo.cfg'), join(dir, 'zoo.cfg.dynamic'), join(dir, 'data', 'myid')]) {
      expect((statSync(file).mode & 0o777).toString(8), file).toBe('600');
    }
    // ZooKeeper rewrites zoo.cfg with its own umask after a reconfig: the directory keeps others out.
    expect((statSync(dir).mode & 0o777).toString(8)).toBe('700');
  });

  it('renders the initial ensemble as a dynamic file without a version line', () => {
    const files = renderServerFiles(request());
    expect(files.dynamicConfig).toBe(
      [
        'server.1=10.0.0.1:2888:3888:participant;10.0.0.1:2181',
        'server.2=10.0.0.2:2888:3888:participant;10.0.0.2:2181',
        'server.3=10.0.0.3:2888:3888:participant;10.0.0.3:2181',
        '',
      ].join('\n'),
    );
    expect(parseDynamicConfig(files.dynamicConfig, 'rendered')).toEqual(voters(1, 2, 3));
  });

  it('boots a joiner from the committed members plus itself as observer, never itself alone as participant', () => {
    const files = renderServerFiles(request({ serverId: 7, host: host(7), membership: { kind: 'join', committed: voters(1, 2, 3) } }));
    const members = parseDynamicConfig(files.dynamicConfig, 'rendered');
    expect(members.map((m) => [m.serverId, m.role])).toEqual([
      [1, 'voter'],
      [2, 'voter'],
      [3, 'voter'],
      [7, 'observer'],
    ]);
    // The exact text: a member line rendered twice would parse to the same members.
    expect(files.dynamicConfig).toBe(
      [
        'server.1=10.0.0.1:2888:3888:participant;10.0.0.1:2181',
        'server.2=10.0.0.2:2888:3888:participant;10.0.0.2:2181',
        'server.3=10.0.0.3:2888:3888:participant;10.0.0.3:2181',
        'server.7=10.0.0.7:2888:3888:observer;10.0.0.7:2181',
        '',
      ].join('\n'),
    );
    expect(files.myid).toBe('7\n');
  });

  it('joins a config with an even voter count mid-scale-out (only the initial ensemble must be odd)', () => {
    const files = renderServerFiles(request({ serverId: 5, host: host(5), membership: { kind: 'join', committed: voters(1, 2, 3, 4) } }));
    expect(parseDynamicConfig(files.dynamicConfig, 'rendered')).toHaveLength(5);
  });

  it('re-renders a restarting member from the committed config that lists it', () => {
    const files = renderServerFiles(request({ serverId: 2, host: host(2), membership: { kind: 'rejoin', committed: voters(1, 2, 3) } }));
    expect(parseDynamicConfig(files.dynamicConfig, 'rendered')).toEqual(voters(1, 2, 3));
  });

  describe('refuses bad input with an error naming the field and value', () => {
    it.each([
      ['server id 0', { serverId: 0 }, 'serverId: must be an integer 1..255 (got 0)'],
      ['server id 256 (session ids would collide)', { serverId: 256 }, 'serverId: must be an integer 1..255 (got 256)'],
      ['a hostname instead of IPv4', { host: 'zk1.example.com' }, 'host: must be an IPv4 address (got "zk1.example.com")'],
      ['an IPv4 with an octet over 255', { host: '10.0.0.256' }, 'host: must be an IPv4 address (got "10.0.0.256")'],
      ['a malformed super digest', { superDigest: 'super:secret' }, 'superDigest: must be "super:" followed by a base64 SHA-1 (28 characters)'],
      ['an empty initial membership', { membership: { kind: 'initial', members: [] } }, 'membership.members: empty'],
      ['an empty committed membership', { membership: { kind: 'join', committed: [] } }, 'membership.committed: empty'],
    ] as const)('%s', (_, overrides, problem) => {
      expect(problemsOf(request(overrides as Partial<BootstrapRequest>))).toContain(problem);
    });

    it('a port out of range in a member line', () => {
      const members = voters(1, 2, 3).map((m) => (m.serverId === 2 ? { ...m, quorumPort: 70000 } : m));
      expect(problemsOf(request({ membership: { kind: 'initial', members } }))).toContain(
        'membership.members[1].quorumPort: must be a port 1..65535 (got 70000)',
      );
    });

    it('an even voter count for a new ensemble when the spec forbids it', () => {
      expect(problemsOf(request({ membership: { kind: 'initial', members: voters(1, 2, 3, 4) } }))).toContain(
        'membership.members: 4 voters; the spec allows only an odd count',
      );
      expect(() => renderServerFiles(request({ allowEvenVoters: true, membership: { kind: 'initial', members: voters(1, 2, 3, 4) } }))).not.toThrow();
    });

    it('a joiner reusing the id of a current member', () => {
      expect(problemsOf(request({ serverId: 2, host: host(9), membership: { kind: 'join', committed: voters(1, 2, 3) } }))).toContain(
        'serverId: 2 is already a member of the committed config',
      );
    });

    it('a joiner on the address of a current member', () => {
      expect(problemsOf(request({ serverId: 9, host: host(2), membership: { kind: 'join', committed: voters(1, 2, 3) } }))).toContain(
        'membership: servers 2 and 9 both use 10.0.0.2:2888',
      );
    });

    it('a server that is not in the initial membership, or listed at another address', () => {
      expect(problemsOf(request({ serverId: 9, host: host(9) }))).toContain('serverId: 9 is not in membership.members');
      expect(problemsOf(request({ serverId: 2, host: host(9) }))).toContain('host: server 2 is listed at 10.0.0.2, not at "10.0.0.9"');
    });

    it('a membership without a voter', () => {
      const observers = voters(1, 2, 3).map((m) => ({ ...m, role: 'observer' as const }));
      expect(problemsOf(request({ membership: { kind: 'initial', members: observers } }))).toContain('membership: no voter');
    });
  });
});
