import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileStateStore } from '../../lib/adapters/local/index.js';
import { runCommand } from '../../lib/cli/commands.js';
import { renderStatus } from '../../lib/cli/status.js';
import { ClusterSpecSchema } from '../../lib/config/index.js';
import type { StatusView } from '../../lib/controller/index.js';
import { InvalidInputError } from '../../lib/errors.js';

// One rule for text that reaches a file, a shell or a terminal: names are validated where they come
// in (directory names, --home, the environment), and free text is stripped of control characters
// where it is shown.

describe('names at every entrance', () => {
  it('lists only directories whose names are cluster names, and refuses any other name', async () => {
    const home = mkdtempSync(join(tmpdir(), 'zka-names-'));
    const store = new FileStateStore(home);
    await store.writeSpec('orders', ClusterSpecSchema.parse({ cluster: 'orders' }));
    for (const name of ['Bad Name', 'evil\nskipACL=yes', 'a=b']) {
      mkdirSync(join(home, 'clusters', name), { recursive: true });
      writeFileSync(join(home, 'clusters', name, 'spec.json'), '{}');
    }
    expect(await store.listClusters()).toEqual(['orders']);
    expect(() => store.clusterDir('evil\nskipACL=yes')).toThrow(InvalidInputError);
    await expect(store.readSpec('../orders')).rejects.toThrow(InvalidInputError);
  });

  it('refuses a home directory with control characters, from --home or the environment', async () => {
    expect(() => new FileStateStore('/tmp/zka\nskipACL=yes')).toThrow(InvalidInputError);
    const io = { lines: [] as string[], out(t: string) { this.lines.push(t); }, err(t: string) { this.lines.push(t); } };
    expect(await runCommand(['status', '--home', '/tmp/zka\nskipACL=yes'], io)).toBe(2);
    expect(io.lines.join('\n')).toMatch(/home/);
  });
});

describe('text shown in a terminal', () => {
  it('renders status without control characters from reports, evidence or decisions', () => {
    const view: StatusView = {
      cluster: 'orders',
      paused: false,
      configVersion: '100000002',
      voters: { count: 3, synced: 3, desired: 3 },
      observers: { count: 0, desired: 0 },
      spares: { count: 0, synced: 0, desired: 0 },
      members: [{ serverId: 1, role: 'voter', zone: 'eu-west-1a\x1b[31m', mode: 'leader', health: 'healthy', zxidLag: 0, avgLatencyMs: 1, connections: 1, outstanding: 0, evidence: 'missed \x1b[2J probes' }],
      operation: undefined,
      decision: 'steady\x07',
      step: 'none\r\nfake line',
      reports: ['server 2: reported "\x1b]0;owned\x07 disk full"'],
    };
    const text = renderStatus(view);
    expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
    expect(text.split('\n')).toHaveLength(7); // the step's CR LF stays on its line
    expect(text).toContain('disk full');
  });
});
