import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  MAX_CONFIG_TEXT_BYTES,
  parseDynamicConfig,
  parseEnsembleConfig,
  renderDynamicConfig,
  renderEnsembleConfig,
  type ConfigMember,
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
const arbVersion = fc.bigInt({ min: 0n, max: (1n << 63n) - 1n });

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

  it('refuses random text with a typed error, or parses it completely', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (text) => {
        const config = parsesOrRefuses(() => parseEnsembleConfig(text, 'random'));
        if (config) expect(config.members.length).toBeGreaterThan(0);
      }),
      { numRuns: 2000 },
    );
  });

  it('refuses every truncation of a valid config that is not itself a valid config', () => {
    fc.assert(
      fc.property(arbMembers, arbVersion, fc.nat(), (members, version, cut) => {
        const text = renderEnsembleConfig({ version, members });
        const truncated = text.slice(0, cut % (text.length + 1));
        const parsed = parsesOrRefuses(() => parseEnsembleConfig(truncated, 'truncated'));
        if (parsed) {
          for (const m of parsed.members) expect(m.clientPort).toBeGreaterThan(0);
        }
      }),
    );
  });

  it('refuses oversized input before reading it', () => {
    const huge = 'server.1=1.1.1.1:1:1:participant;1.1.1.1:1\n'.repeat(MAX_CONFIG_TEXT_BYTES / 40);
    expect(() => parseEnsembleConfig(huge, 'huge')).toThrow(/more than the 65536 a config can have/);
  });
});

describe('4lw answers', () => {
  it('srvr and mntr parsers never throw anything but the typed error on garbage', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 500 }), (text) => {
        parsesOrRefuses(() => parseSrvr(text, 'srvr'));
        parsesOrRefuses(() => parseMntr(text, 'mntr'));
      }),
      { numRuns: 2000 },
    );
  });
});
