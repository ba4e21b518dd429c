import { setTimeout as sleep } from 'node:timers/promises';
import { parseEnsembleConfig, renderServerLine } from '../core/ensembleConfig.js';
import { applyChange, changeIsApplied, describeChange, sameMembers, type MembershipChange } from '../core/membershipChange.js';
import { votersOf, type EnsembleConfig } from '../core/model.js';
import { InvalidInputError } from '../errors.js';
import { BadVersionError, ConnectionLossError, NotAuthorisedError, ReconfigDisabledError, SessionExpiredError, UnexpectedZooKeeperError, ZooKeeperTimeoutError } from './errors.js';
import type { ReconfigAccess, SuperPassword } from '../ports/index.js';
import { ZooKeeperSession } from './session.js';

// The Ensemble side of the controller: read the committed membership, change it with one guarded
// reconfig, and confirm a later write. A reconfig whose reply is lost (always when the leader is
// removed) is never retried: the config is read back and the result says what happened. The super
// user's credentials go out only with a reconfig, on a session to the one server it was opened to:
// reading the config and the confirming write need none.

export const CONFIG_ZNODE = '/zookeeper/config';
/** Written after a removal commits: once this write is acknowledged, the removed server is out. */
export const MARKER_ZNODE = '/zk-autoscaler';

/** How long a lost reply's change may take to show (a leader hand-off takes ~0.4 s here). */
const READ_BACK_SETTLE_MS = 3000;
const READ_BACK_INTERVAL_MS = 100;
/** Versions no config and no znode ever has: zxids are positive, and -1 means "any". */
const NO_CONFIG_VERSION = -2n;
const NO_ZNODE_VERSION = -2;
/** KeeperException.Code.UNIMPLEMENTED: a reconfig sent to a standalone server. */
const UNIMPLEMENTED = -6;

export interface EnsembleAdminOptions {
  /** One chosen server (`host:port`), or (to read only) several. */
  readonly connectString: string;
  /** The super user's password (or how to read it); the servers hold its digest. Sent with the
   * first reconfig only, and only then read. */
  readonly superPassword: string | SuperPassword;
  readonly timeoutMs: number;
}

export type ReconfigResult =
  /** The change is in the committed config: from the reply, or read back after the reply was lost. */
  | { readonly outcome: 'committed'; readonly config: EnsembleConfig; readonly via: 'reply' | 'read-back' }
  /** The reply was lost and the config read back is still the old one: the change may yet commit,
   * or may never; the next tick decides from what it observes. */
  | { readonly outcome: 'not-seen'; readonly config: EnsembleConfig; readonly cause: Error }
  /** The reply was lost and the config read back is neither the old one nor ours: someone else changed it. */
  | { readonly outcome: 'superseded'; readonly config: EnsembleConfig; readonly cause: Error };

export class ZooKeeperEnsembleAdmin {
  private authenticated = false;

  private constructor(
    private session: ZooKeeperSession,
    private readonly options: EnsembleAdminOptions,
  ) {}

  static async open(options: EnsembleAdminOptions): Promise<ZooKeeperEnsembleAdmin> {
    return new ZooKeeperEnsembleAdmin(await openSession(options), options);
  }

  /** `host:port` of the server the admin session is connected to. */
  get server(): string {
    return this.session.server;
  }

  /** The committed config, after a `sync` so that a lagging follower cannot answer with an old one. */
  async readConfig(): Promise<EnsembleConfig> {
    await this.session.sync(CONFIG_ZNODE);
    const znode = await this.session.getData(CONFIG_ZNODE);
    const source = `${CONFIG_ZNODE} on ${this.session.server}`;
    const config = parseEnsembleConfig(znode.data.toString('utf8'), source);
    // Only reconfig writes this znode, and its version line is then its mzxid. A mismatch means
    // someone overwrote it with setData: the text is not the real membership.
    if (config.version !== znode.mzxid) {
      throw new InvalidInputError(source, [
        `version: the text says ${config.version.toString(16)} but the znode was last written at ${znode.mzxid.toString(16)} (overwritten by setData?)`,
      ]);
    }
    return config;
  }

  /**
   * Applies one membership change, guarded by the version it was planned from. The caller has
   * checked that every member runs a ZooKeeper with the reconfig fixes (core's
   * `membersBlockingReconfig`, from the probes). `plannedFrom` is
   * the config that version names: with it a lost reply can be told apart from a lost change.
   */
  async reconfig(change: MembershipChange, plannedFrom: EnsembleConfig): Promise<ReconfigResult> {
    checkChange(change, plannedFrom);
    const request =
      change.kind === 'replace'
        ? { newMembers: change.members.map(renderServerLine), fromConfig: change.fromVersion }
        : { joining: change.add.map(renderServerLine), leaving: change.remove, fromConfig: change.fromVersion };
    await this.authenticate();
    try {
      const reply = await this.session.reconfig(request);
      const config = parseEnsembleConfig(reply.data.toString('utf8'), `reconfig reply from ${this.session.server}`);
      return { outcome: 'committed', config, via: 'reply' };
    } catch (err) {
      if (!(err instanceof ConnectionLossError || err instanceof ZooKeeperTimeoutError || err instanceof SessionExpiredError)) throw err;
      return this.readBack(change, plannedFrom, err);
    }
  }

  /**
   * The reply is lost, not necessarily the change: read the config back from servers that are in
   * both the old and the new config, until it shows the change or another version, or the ensemble
   * had time to settle. (Read at once from a removed leader, the old config came back in 2 of 6
   * runs here, although the change had committed.)
   */
  private async readBack(change: MembershipChange, plannedFrom: EnsembleConfig, cause: Error): Promise<ReconfigResult> {
    const staying = applyChange(plannedFrom.members, change).filter((m) => plannedFrom.members.some((p) => p.serverId === m.serverId));
    const connectString = staying.length > 0 ? staying.map((m) => `${m.clientHost}:${m.clientPort}`).join(',') : this.options.connectString;
    await this.session.close();
    this.session = await openSession({ ...this.options, connectString });
    this.authenticated = false; // the new session only reads
    const settleBy = Date.now() + READ_BACK_SETTLE_MS;
    for (;;) {
      const config = await this.readConfig();
      if (changeIsApplied(plannedFrom.members, change, config)) return { outcome: 'committed', config, via: 'read-back' };
      if (config.version !== plannedFrom.version) return { outcome: 'superseded', config, cause };
      if (Date.now() >= settleBy) return { outcome: 'not-seen', config, cause };
      await sleep(READ_BACK_INTERVAL_MS);
    }
  }

  /**
   * Whether a reconfig sent here would be accepted, found without changing anything (ZooKeeper
   * 3.5-3.9's PrepRequestProcessor): a reconfig from a version no config has (-2) is refused
   * before the new config is built, with ReconfigDisabled when reconfig is off, else BadVersion;
   * the ACL check comes after that, so the digest is tried with a setData of the config znode at
   * a version it never has (-2), refused after its ACL check: NoAuth unless we are the super user,
   * else BadVersion. A standalone server answers Unimplemented.
   */
  async reconfigAccess(): Promise<ReconfigAccess> {
    await this.authenticate();
    try {
      await this.session.reconfig({ joining: [], leaving: [], fromConfig: NO_CONFIG_VERSION });
      throw new Error('a reconfig from version -2 was accepted');
    } catch (err) {
      if (err instanceof ReconfigDisabledError) return 'reconfig-disabled';
      if (err instanceof UnexpectedZooKeeperError && err.code === UNIMPLEMENTED) return 'standalone';
      if (!(err instanceof BadVersionError)) throw err;
    }
    try {
      await this.session.setData(CONFIG_ZNODE, Buffer.alloc(0), NO_ZNODE_VERSION);
      throw new Error(`a setData of ${CONFIG_ZNODE} at version -2 was accepted`);
    } catch (err) {
      if (err instanceof NotAuthorisedError) return 'digest-rejected';
      if (!(err instanceof BadVersionError)) throw err;
    }
    return 'authorised';
  }

  private async authenticate(): Promise<void> {
    if (this.authenticated) return;
    const { superPassword } = this.options;
    this.session.authenticate(typeof superPassword === 'string' ? superPassword : await superPassword());
    this.authenticated = true;
  }

  /** One ordinary write through the quorum: after a removal committed, this makes the new config
   * active everywhere before the removed server is stopped. */
  async confirmWrite(): Promise<void> {
    const stamp = Buffer.from(new Date().toISOString(), 'utf8');
    if (await this.session.exists(MARKER_ZNODE)) await this.session.setData(MARKER_ZNODE, stamp);
    else await this.session.create(MARKER_ZNODE, stamp).catch(async (err: unknown) => {
      if (!(await this.session.exists(MARKER_ZNODE))) throw err;
      await this.session.setData(MARKER_ZNODE, stamp); // created meanwhile by another writer
    });
  }

  close(): Promise<void> {
    return this.session.close();
  }

}

function openSession(options: EnsembleAdminOptions): Promise<ZooKeeperSession> {
  return ZooKeeperSession.open({ connectString: options.connectString, timeoutMs: options.timeoutMs });
}

/** A change we would not send: ZooKeeper accepts no-ops (and bumps the version) and much else. */
function checkChange(change: MembershipChange, plannedFrom: EnsembleConfig): void {
  const issues: string[] = [];
  if (change.fromVersion !== plannedFrom.version) {
    issues.push(`fromVersion: ${change.fromVersion.toString(16)} is not the version of the config it was planned from (${plannedFrom.version.toString(16)})`);
  }
  if (change.kind === 'incremental') {
    const current = new Set(plannedFrom.members.map((m) => m.serverId));
    for (const id of change.remove) if (!current.has(id)) issues.push(`remove: server ${id} is not a member`);
    for (const m of change.add) if (change.remove.includes(m.serverId)) issues.push(`add: server ${m.serverId} is also removed`);
  }
  const after = applyChange(plannedFrom.members, change);
  if (sameMembers(after, plannedFrom.members)) issues.push(`change: ${describeChange(change)} changes nothing`);
  if (votersOf(after).length === 0) issues.push(`change: ${describeChange(change)} leaves no voter`);
  if (issues.length > 0) throw new InvalidInputError('membership change', issues);
}
