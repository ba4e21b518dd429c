import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  MAX_CONFIG_TEXT_BYTES,
  parseDynamicConfig,
  parseEnsembleConfig,
  renderDynamicConfig,
  renderEnsembleConfig,
  renderServerLine,
  type ConfigMember,
  type ServerMode,
} from '../../lib/core/index.js';
import { InvalidInputError } from '../../lib/errors.js';
import { parseMntr, parseSrvr } from '../../lib/zk/index.js';

const octet = fc.integer({ min: 0, max: 255 });
const ipv4 = fc.tuple(octet, octet, octet, octet).map((o) => o.join('.'));
const port = fc.integer({ min: 1, max: 65535 });
const arbMember = (serverId: number): fc.Arbitrary<ConfigMember> =>
  fc.record({
    serverId: fc.constant(serverId),
    role: fc.constantFrom('voter' as const, 'observer' as const),
    host: ipv4,
    quorumPort: port,
    electionPort: port,
    clientHost: ipv4,
    clientPort: port,
  });
const arbMembers = fc
  .uniqueArray(fc.integer({ min: 1, max: 255 }), { minLength: 1, maxLength: 12 })
  .chain((ids) => fc.tuple(...ids.map(arbMember)))
  .map((members) => [...members].sort((a, b) => a.serverId - b.serverId));
/** A config version: 0 (reconfig off) or the zxid of a reconfig, epoch 1 or later. */
const arbVersion = fc.oneof(fc.constant(0n), fc.bigInt({ min: 1n << 32n, max: (1n << 63n) - 1n }));
/** Versions of epochs 1..15 (nine hex digits): a cluster would need 16 leader elections to leave them. */
const arbYoungVersion = fc.bigInt({ min: 1n << 32n, max: (1n << 36n) - 1n });

/** A line of config text, and what it must do to the parse. */
type Line = { readonly text: string } & (
  | { readonly kind: 'server'; readonly member: ConfigMember }
  | { readonly kind: 'version'; readonly version: bigint }
  | { readonly kind: 'bad' }
);
/** Lines that break a server line in one place each: what ZooKeeper never writes. */
const arbBadLine: fc.Arbitrary<Line> = fc
  .tuple(
    arbMember(7),
    fc.constantFrom<(line: string) => string>(
      (l) => l.replace(';', ''), // no client address
      (l) => l.replace('participant', 'leader').replace('observer', 'leader'),
      (l) => l.replace(/:(\d+):/, ':0:'), // quorum port 0
      (l) => l.replace(/;(.*):\d+$/, ';$1:65536'),
      (l) => l.replace('server.7', 'server.x'),
      (l) => `${l};extra`,
      (l) => l.replace('server.7=', 'srever.7='),
    ),
  )
  .map(([m, breakIt]) => ({ kind: 'bad' as const, text: breakIt(renderServerLine(m)) }));
const arbLines: fc.Arbitrary<Line[]> = fc
  .tuple(
    fc.uniqueArray(fc.integer({ min: 1, max: 255 }), { maxLength: 6 }).chain((ids) => fc.tuple(...ids.map(arbMember))),
    fc.array(arbVersion, { maxLength: 2 }),
    fc.array(arbBadLine, { maxLength: 1 }),
    fc.array(fc.integer({ min: 1, max: 255 }), { maxLength: 1 }), // an id listed a second time
  )
  .chain(([members, versions, bad, again]) => {
    const lines: Line[] = [
      ...members.map((m) => ({ kind: 'server' as const, member: m, text: renderServerLine(m) })),
      ...versions.map((v) => ({ kind: 'version' as const, version: v, text: `version=${v.toString(16)}` })),
      ...bad,
      ...again.flatMap((id) => {
        const first = members.find((m) => m.serverId === id);
        return first ? [{ kind: 'server' as const, member: first, text: renderServerLine({ ...first, clientPort: (first.clientPort % 65535) + 1 }) }] : [];
      }),
    ];
    return fc.shuffledSubarray(lines, { minLength: lines.length, maxLength: lines.length });
  });

/** Either a complete, valid result or InvalidInputError: never another exception, never half a result. */
function parsesOrRefuses<T>(parse: () => T): T | undefined {
  try {
    return parse();
  } catch (err) {
    if (err instanceof InvalidInputError) return undefined;
    throw err;
  }
}

describe('membership config text', () => {
  it('round-trips: parse(render(config)) is the config', () => {
    fc.assert(
      fc.property(arbMembers, arbVersion, (members, version) => {
        expect(parseEnsembleConfig(renderEnsembleConfig({ version, members }), 'rendered')).toEqual({ version, members });
        expect(parseDynamicConfig(renderDynamicConfig(members), 'rendered')).toEqual(members);
      }),
    );
  });

  it('round-trips whatever order the lines come in (ZooKeeper writes them in hash order)', () => {
    fc.assert(
      fc.property(arbMembers, arbVersion, fc.integer(), (members, version, seed) => {
        const lines = renderEnsembleConfig({ version, members }).split('\n');
        const shuffled = [...lines].sort((a, b) => ((a.length * 31 + seed) % 7) - ((b.length * 31 + seed) % 7));
        expect(parseEnsembleConfig(shuffled.join('\n'), 'shuffled')).toEqual({ version, members });
      }),
    );
  });

  it('parses exactly the lines it is given when each is valid, and refuses any text with one bad line', () => {
    // The oracle is the generator: it knows which lines are well formed, whether a version line
    // appears exactly once and whether an id repeats, without asking the parser.
    let parsed = 0;
    let refused = 0;
    fc.assert(
      fc.property(arbLines, (lines) => {
        const text = lines.map((l) => l.text).join('\n');
        const servers = lines.flatMap((l) => (l.kind === 'server' ? [l.member] : []));
        const versions = lines.flatMap((l) => (l.kind === 'version' ? [l.version] : []));
        const ids = new Set(servers.map((m) => m.serverId));
        const valid = lines.every((l) => l.kind !== 'bad') && versions.length === 1 && servers.length > 0 && ids.size === servers.length;
        if (valid) {
          parsed++;
          expect(parseEnsembleConfig(text, 'generated')).toEqual({ version: versions[0], members: [...servers].sort((x, y) => x.serverId - y.serverId) });
        } else {
          refused++;
          expect(() => parseEnsembleConfig(text, 'generated')).toThrow(InvalidInputError);
        }
      }),
      { numRuns: 500 },
    );
    // Both branches ran: neither half of the property is vacuous. About one text in eight is valid
    // (60 of 500 on average, 50 seen in a run), so the floor sits far below what chance gives.
    expect(parsed).toBeGreaterThan(10);
    expect(refused).toBeGreaterThan(10);
  });

  it('never throws anything but the typed error on random text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (text) => {
        parsesOrRefuses(() => parseEnsembleConfig(text, 'random'));
      }),
      { numRuns: 2000 },
    );
  });

  it('refuses every proper truncation of the znode text of a config of epoch 1 to 15, the version line cut short included', () => {
    fc.assert(
      fc.property(arbMembers, arbYoungVersion, fc.nat(), (members, version, cut) => {
        // ZooKeeper writes the version line last, with no newline after it.
        const text = renderEnsembleConfig({ version, members });
        const truncated = text.slice(0, cut % text.length);
        expect(() => parseEnsembleConfig(truncated, 'truncated')).toThrow(InvalidInputError);
      }),
      { numRuns: 500 },
    );
  });

  it('refuses oversized input before reading it', () => {
    const huge = 'server.1=1.1.1.1:1:1:participant;1.1.1.1:1\n'.repeat(MAX_CONFIG_TEXT_BYTES / 40);
    expect(() => parseEnsembleConfig(huge, 'huge')).toThrow(/more than the 65536 a config can have/);
  });
});

/** What a serving server's `srvr` says, and the text it says it in (zookeeper-facts.md). */
const arbSrvr = fc
  .record({
    version: fc.constantFrom('3.8.4-9316c2a7a97e1666d8f4593f34dd6fc36ecc436c, built on 2024-02-12 22:16 UTC', '3.6.2--1', '3.9.3'),
    min: fc.nat(10_000),
    avg: fc.nat(10_000).map((n) => n / 4),
    max: fc.nat(10_000),
    received: fc.nat(),
    sent: fc.nat(),
    connections: fc.nat(60_000),
    outstanding: fc.nat(1_000_000),
    zxid: fc.bigInt({ min: 0n, max: (1n << 63n) - 1n }),
    mode: fc.constantFrom<ServerMode>('leader', 'follower', 'observer', 'standalone', 'read-only'),
    nodeCount: fc.nat(),
  })
  .map((s) => ({
    stats: s,
    lines: [
      `Zookeeper version: ${s.version}`,
      `Latency min/avg/max: ${s.min}/${s.avg}/${s.max}`,
      `Received: ${s.received}`,
      `Sent: ${s.sent}`,
      `Connections: ${s.connections}`,
      `Outstanding: ${s.outstanding}`,
      `Zxid: 0x${s.zxid.toString(16)}`,
      `Mode: ${s.mode}`,
      `Node count: ${s.nodeCount}`,
    ],
  }));

describe('4lw answers', () => {
  it('srvr gives back every number the server wrote', () => {
    fc.assert(
      fc.property(arbSrvr, ({ stats: s, lines }) => {
        expect(parseSrvr(`${lines.join('\n')}\n`, 'srvr')).toEqual({
          serving: true,
          version: s.version,
          latencyMs: { min: s.min, avg: s.avg, max: s.max },
          received: s.received,
          sent: s.sent,
          connections: s.connections,
          outstanding: s.outstanding,
          zxid: s.zxid,
          mode: s.mode,
          nodeCount: s.nodeCount,
        });
      }),
    );
  });

  it('srvr without any one of its lines, or cut short before its last number, is refused: never read as a server with zeros', () => {
    fc.assert(
      fc.property(arbSrvr, fc.nat(), fc.nat(), ({ lines }, drop, cut) => {
        const missing = lines.filter((_, i) => i !== drop % lines.length);
        expect(() => parseSrvr(missing.join('\n'), 'srvr')).toThrow(InvalidInputError);
        // A cut inside the last line may still leave a number: cut up to the start of the last line.
        const text = lines.join('\n');
        expect(() => parseSrvr(text.slice(0, cut % (text.length - (lines.at(-1)?.length ?? 0))), 'srvr')).toThrow(InvalidInputError);
      }),
    );
  });

  it('srvr and mntr parsers never throw anything but the typed error on garbage', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 500 }), (text) => {
        parsesOrRefuses(() => parseSrvr(text, 'srvr'));
        parsesOrRefuses(() => parseMntr(text, 'mntr'));
      }),
      { numRuns: 2000 },
    );
  });

  it('mntr keeps every key and value it was given, and refuses a key listed twice', () => {
    const arbKey = fc.stringMatching(/^zk_[a-z0-9_]{1,20}$/);
    const arbValue = fc.stringMatching(/^[A-Za-z0-9.:,-]{0,30}$/);
    fc.assert(
      fc.property(fc.uniqueArray(fc.tuple(arbKey, arbValue), { selector: ([k]) => k, minLength: 1, maxLength: 40 }), fc.nat(), (pairs, pick) => {
        const text = pairs.map(([k, v]) => `${k}\t${v}`).join('\n');
        expect(parseMntr(text, 'mntr')).toEqual(new Map(pairs));
        const [again] = pairs[pick % pairs.length] ?? ['zk_x'];
        expect(() => parseMntr(`${text}\n${again}\tother`, 'mntr')).toThrow(InvalidInputError);
      }),
    );
  });
});
