import { FileSuperPasswords } from '../../lib/adapters/local/index.js';
import { connectString, memberAt, renderServerFiles, syncedIds, voterIds, type ServerId } from '../../lib/core/index.js';
import { probeMembers, probeServer, superDigest, ZooKeeperEnsembleAdmin } from '../../lib/zk/index.js';
import { benchCluster } from './localCluster.js';

// MTTR on real ZooKeeper in local mode: kill -9 a voter (or hang it: SIGSTOP, alive and answering
// nothing), tick every 50 ms, and time the heal and its parts; beside it the floor this machine
// allows, measured directly on the same ensemble: start a joiner, wait until it is synced, one swap
// reconfig (no detection, no controller). With a hot spare there is no launch and no sync: the heal
// is detection and one swap (its floor is not measured: there is nothing left to take away).

export interface MttrRun {
  readonly totalMs: number;
  /** Kill -> the first step that acts (the launch, or with a spare the swap). */
  readonly detectionMs: number;
  /** Kill -> the start of the first tick that fails the victim: detection proper. */
  readonly failedMs: number;
  /** Kill -> the start of the first tick, from that one on, that finds a leader serving (not the
   * victim): a killed leader's ensemble elects first (ZooKeeper's part, which no controller can
   * shorten). A follower's ensemble never stops having one. */
  readonly quorumMs: number;
  readonly launchMs: number;
  readonly syncMs: number;
  readonly reconfigMs: number;
  /** Without a spare only. */
  readonly floorMs: number | undefined;
}

export interface MttrOptions {
  readonly failure?: 'kill' | 'hang';
  /** The spec's hotSpares: 1 heals by swapping the spare in. */
  readonly hotSpares?: number;
  /** The voter to fail: a follower, or the leader. */
  readonly victim?: 'follower' | 'leader';
}

/** A hung voter is failed after missing probes for this long (the spec's failAfterSeconds). */
export const HUNG_FAIL_AFTER_SECONDS = 5;

export async function measureMttr(runs: number, { failure = 'kill', hotSpares = 0, victim: which = 'follower' }: MttrOptions = {}): Promise<MttrRun[]> {
  const results: MttrRun[] = [];
  for (let run = 0; run < runs; run++) {
    const c = await benchCluster({ hotSpares, ...(failure === 'hang' ? { detection: { failAfterSeconds: HUNG_FAIL_AFTER_SECONDS } } : {}) });
    try {
      const first = await c.tick();
      const config = first.observation?.config.readable ? first.observation.config.config : undefined;
      const leader = first.observation?.probes.find((p) => p.result.status === 'serving' && p.result.health.mode === 'leader')?.serverId;
      const victim = (which === 'leader' ? leader : config?.members.find((m) => m.serverId !== leader)?.serverId) as ServerId;
      const killedAt = performance.now();
      const pid = c.processes.list().find((s) => s.serverId === victim)?.pid;
      if (failure === 'hang' && pid !== undefined) process.kill(pid, 'SIGSTOP');
      else await c.processes.stop(victim, 'kill');
      const t = { failed: 0, quorum: 0, launchStart: 0, launchEnd: 0, reconfigStart: 0, reconfigEnd: 0, done: 0 };
      for (let i = 0; i < 600 && !t.done; i++) {
        const started = performance.now();
        const r = await c.tick();
        const ended = performance.now();
        if (!t.failed && r.reports.some((x) => x.serverId === victim && x.status === 'failed')) t.failed = started;
        const leads = r.observation?.probes.some((p) => p.serverId !== victim && p.result.status === 'serving' && p.result.health.mode === 'leader');
        if (t.failed && !t.quorum && leads) t.quorum = started;
        if (r.step?.kind === 'launch' && !t.launchStart) Object.assign(t, { launchStart: started, launchEnd: ended });
        if (r.step?.kind === 'reconfig' && r.outcome === 'acted' && !t.reconfigStart) Object.assign(t, { reconfigStart: started, reconfigEnd: ended });
        const members = r.observation?.config.readable ? r.observation.config.config.members : [];
        const synced = syncedIds(r.observation?.probes ?? []);
        if (t.reconfigEnd && voterIds(members).size === 3 && !members.some((m) => m.serverId === victim) && [...voterIds(members)].every((id) => synced.has(id))) t.done = ended;
        else await new Promise((resolve) => setTimeout(resolve, 50));
      }
      if (!t.done) throw new Error(`the ${failure === 'hang' ? 'hung' : 'killed'} ${which} ${victim} was not healed in 600 ticks`);
      const floorMs = hotSpares === 0 ? await floor(c) : undefined;
      const launched = t.launchStart > 0;
      results.push({
        totalMs: Math.round(t.done - killedAt),
        detectionMs: Math.round((launched ? t.launchStart : t.reconfigStart) - killedAt),
        failedMs: Math.round(t.failed - killedAt),
        quorumMs: Math.round(t.quorum - killedAt),
        launchMs: launched ? Math.round(t.launchEnd - t.launchStart) : 0,
        syncMs: launched ? Math.round(t.reconfigStart - t.launchEnd) : 0,
        reconfigMs: Math.round(t.reconfigEnd - t.reconfigStart),
        floorMs,
      });
    } finally {
      await c.close();
    }
  }
  return results;
}

/** Kill a follower, then by hand: start a joiner, wait until it is synced, swap it in. */
async function floor(c: Awaited<ReturnType<typeof benchCluster>>): Promise<number> {
  const password = await new FileSuperPasswords(c.deps.store).read(c.spec.cluster);
  const settings = c.spec.zookeeper;
  const members = c.processes.list().filter((s) => s.pid !== undefined);
  // The heal's last step may still be settling: start from an ensemble where every server serves.
  const deadline = Date.now() + 30_000;
  for (;;) {
    const probes = await probeMembers(members.map((s) => ({ serverId: s.serverId, host: s.host })), { timeoutMs: 1000, via: 'four-letter-words', clientPort: settings.clientPort, adminPort: settings.adminPort });
    if (probes.every((p) => p.result.status === 'serving')) break;
    if (Date.now() > deadline) throw new Error(`servers ${members.map((s) => s.serverId).join(',')} did not all serve before the floor measurement`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const admin = await ZooKeeperEnsembleAdmin.open({ connectString: connectString(members.map((s) => memberAt(settings, s.serverId, s.host, 'voter'))), superPassword: password, timeoutMs: 10_000 });
  try {
    const config = await admin.readConfig();
    const victim = config.members[0]?.serverId as ServerId;
    await c.processes.stop(victim, 'kill');
    const id = Math.max(...c.processes.list().map((s) => s.serverId)) + 1;
    const started = performance.now();
    const joiner = await c.processes.launch(id, (p) =>
      renderServerFiles({ cluster: c.spec.cluster, settings, allowEvenVoters: false, serverId: id, host: p.host, configDir: p.configDir, dataDir: p.dataDir, superDigest: superDigest(password), membership: { kind: 'join', committed: config.members } }),
    );
    for (;;) {
      const probe = await probeServer(joiner.host, { timeoutMs: 1000, via: 'four-letter-words', clientPort: settings.clientPort, adminPort: settings.adminPort });
      if (probe.status === 'serving') break;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await admin.reconfig({ kind: 'incremental', add: [memberAt(settings, id, joiner.host, 'voter')], remove: [victim], fromVersion: config.version }, config);
    return Math.round(performance.now() - started);
  } finally {
    await admin.close();
  }
}
