import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { jsonLog } from '../adapters/local/index.js';
import {
  ClusterSpecSchema,
  CommonOptionsSchema,
  parseOrThrow,
  ReportOptionsSchema,
  ScaleOptionsSchema,
  ServerOptionsSchema,
  SpecSetOptionsSchema,
  type ClusterSpec,
  type CommonOptions,
} from '../config/index.js';
import { tickCluster, type TickResult } from '../controller/index.js';
import { ControllerError, InvalidInputError, NotFoundError } from '../errors.js';
import { buildLocalDeps, type LocalDeps } from '../wiring/index.js';
import { parseCommandLine } from './args.js';
import { runLoad } from './load.js';
import { renderStatus, statusView } from './status.js';

// The CLI's commands. Read-only ones (status, plan, connect-string, spec show) observe; the others
// record intent in the cluster's spec or requests, which the next tick acts on. None of them acts
// on servers or membership itself.

export interface Io {
  out(text: string): void;
  err(text: string): void;
}

export const USAGE = `usage: zk-autoscaler <command> [--home DIR] [--cluster NAME] [--json]
  start                      local mode: create or resume the cluster, run the controller (npm start)
  status                     members, roles, health, zxid lag, load, operation, last decision
  plan                       what the next tick would do and why (changes nothing)
  tick                       run one tick now
  scale [--voters N] [--observers M]
  replace <id>               replace a member (the next tick starts it)
  pause | resume             stop / restart acting (observing goes on)
  forget <id>                drop what the controller remembers of a server that is gone
  report <id> --reason TEXT  report a failing server (probes must corroborate it)
  connect-string             the connect strings published for clients
  spec show | spec set FILE  show or replace the cluster spec (validated)
  load --rate R [--reads-pct P] [--seconds S] [--clients C] [--connect HOSTS]`;

const COMMON = ['home', 'cluster'];

export async function runCommand(argv: readonly string[], io: Io): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'status':
      case 'plan':
      case 'tick':
        return await observeCommand(command, rest, io);
      case 'scale':
        return await scale(rest, io);
      case 'pause':
      case 'resume':
        return await pause(command, rest, io);
      case 'replace':
      case 'report':
        return await request(command, rest, io);
      case 'forget':
        return await forget(rest, io);
      case 'connect-string':
        return await connectString(rest, io);
      case 'spec':
        return await specCommand(rest, io);
      case 'load':
        return await runLoad(rest, io);
      case undefined:
      case 'help':
      case '--help':
        io.out(USAGE);
        return command === undefined ? 2 : 0;
      default:
        throw new InvalidInputError('command line', [`command: unknown (got ${JSON.stringify(command)}); see --help`]);
    }
  } catch (err) {
    if (err instanceof ControllerError) {
      io.err(`zk-autoscaler: ${err.message}`);
      return err.kind === 'invalid-input' ? 2 : 1;
    }
    throw err;
  }
}

interface Context {
  readonly options: CommonOptions;
  readonly deps: LocalDeps;
  readonly spec: ClusterSpec;
}

async function context(options: CommonOptions): Promise<Context> {
  const home = resolve(options.home);
  const deps = buildLocalDeps({ home, log: jsonLog(() => undefined) });
  const spec = await deps.store.readSpec(options.cluster);
  return { options, deps, spec };
}

function common(argv: readonly string[], extra: { values?: string[]; flags?: string[] } = {}): { options: Record<string, string | true>; positionals: string[] } {
  return parseCommandLine(argv, [...COMMON, ...(extra.values ?? [])], ['json', ...(extra.flags ?? [])]);
}

async function observeCommand(command: 'status' | 'plan' | 'tick', argv: readonly string[], io: Io): Promise<number> {
  const { options, positionals } = common(argv);
  noPositionals(positionals);
  const ctx = await context(parseOrThrow(CommonOptionsSchema, options, `${command} options`));
  const result = await tickCluster(ctx.deps, ctx.options.cluster, { kind: 'manual', command }, { dryRun: command !== 'tick' });
  if (command === 'status') {
    const view = statusView(ctx.spec, result);
    io.out(ctx.options.json ? JSON.stringify(view, null, 2) : renderStatus(view));
  } else if (ctx.options.json) {
    io.out(JSON.stringify(tickSummary(result), null, 2));
  } else {
    io.out(command === 'plan' ? `next step: ${result.step?.kind ?? 'none'}: ${result.why}` : `${result.outcome}: ${result.why}`);
  }
  return result.outcome === 'failed' ? 1 : 0;
}

async function scale(argv: readonly string[], io: Io): Promise<number> {
  const { options, positionals } = common(argv, { values: ['voters', 'observers'] });
  noPositionals(positionals);
  const parsed = parseOrThrow(ScaleOptionsSchema, options, 'scale options');
  const ctx = await context(parsed);
  const next = parseOrThrow(
    ClusterSpecSchema,
    {
      ...ctx.spec,
      voters: { ...ctx.spec.voters, ...(parsed.voters !== undefined ? { desired: parsed.voters } : {}) },
      observers: { ...ctx.spec.observers, ...(parsed.observers !== undefined ? { desired: parsed.observers } : {}) },
    },
    'scaled spec',
  );
  await ctx.deps.store.writeSpec(ctx.options.cluster, next);
  return done(io, ctx.options, { voters: next.voters.desired, observers: next.observers.desired }, `spec of ${ctx.options.cluster}: voters ${ctx.spec.voters.desired} -> ${next.voters.desired}, observers ${ctx.spec.observers.desired} -> ${next.observers.desired}; the next tick acts on it`);
}

async function pause(command: 'pause' | 'resume', argv: readonly string[], io: Io): Promise<number> {
  const { options, positionals } = common(argv);
  noPositionals(positionals);
  const ctx = await context(parseOrThrow(CommonOptionsSchema, options, `${command} options`));
  await ctx.deps.store.writeSpec(ctx.options.cluster, { ...ctx.spec, paused: command === 'pause' });
  return done(io, ctx.options, { paused: command === 'pause' }, command === 'pause' ? `${ctx.options.cluster} paused: ticks observe and report, and change nothing` : `${ctx.options.cluster} resumed`);
}

async function request(command: 'replace' | 'report', argv: readonly string[], io: Io): Promise<number> {
  const { options, positionals } = common(argv, { values: ['reason'] });
  const [id, ...extra] = positionals;
  noPositionals(extra);
  const parsed =
    command === 'report'
      ? parseOrThrow(ReportOptionsSchema, { ...options, serverId: id }, 'report arguments')
      : { ...parseOrThrow(ServerOptionsSchema, { ...options, serverId: id }, 'replace arguments'), reason: 'an operator asked for a replacement' };
  const ctx = await context(parsed);
  await knownMember(ctx, parsed.serverId);
  const reason = parsed.reason;
  const at = Date.now();
  await ctx.deps.store.addRequest(ctx.options.cluster, { id: `${command}-${parsed.serverId}-${at}`, kind: command, serverId: parsed.serverId, reason, at });
  return done(io, ctx.options, { [command]: parsed.serverId, reason }, command === 'replace' ? `replacement of server ${parsed.serverId} requested; the next tick starts it` : `server ${parsed.serverId} reported (${reason}); probes must corroborate it before anything is replaced`);
}

async function forget(argv: readonly string[], io: Io): Promise<number> {
  const { options, positionals } = common(argv);
  const [id, ...extra] = positionals;
  noPositionals(extra);
  const parsed = parseOrThrow(ServerOptionsSchema, { ...options, serverId: id }, 'forget arguments');
  const ctx = await context(parsed);
  const observed = await tickCluster(ctx.deps, ctx.options.cluster, { kind: 'manual', command: 'forget' }, { dryRun: true });
  const config = observed.observation?.config.readable ? observed.observation.config.config : undefined;
  if (config?.members.some((m) => m.serverId === parsed.serverId)) {
    throw new InvalidInputError('forget arguments', [`serverId: ${parsed.serverId} is a member of the config; use replace or scale to take it out`]);
  }
  const stored = await ctx.deps.store.readState(ctx.options.cluster);
  const state = stored?.state;
  const known = state && (state.members.some((m) => m.serverId === parsed.serverId) || state.health.some((h) => h.serverId === parsed.serverId) || state.operation?.serverId === parsed.serverId);
  if (!state || !known) throw new NotFoundError(`server ${parsed.serverId} in cluster ${ctx.options.cluster}`, { serverId: parsed.serverId });
  if (state.operation?.serverId === parsed.serverId) {
    throw new InvalidInputError('forget arguments', [`serverId: ${parsed.serverId} is the subject of operation ${state.operation.id}; it finishes or rolls back by itself`]);
  }
  const lease = await ctx.deps.store.acquireLease(ctx.options.cluster, `cli:${process.pid}`, 10_000, Date.now());
  if (!lease) throw new InvalidInputError('forget', ['lease: a controller is acting on this cluster now; try again in a moment']);
  try {
    await ctx.deps.store.writeState(ctx.options.cluster, {
      ...state,
      members: state.members.filter((m) => m.serverId !== parsed.serverId),
      health: state.health.filter((h) => h.serverId !== parsed.serverId),
      reports: state.reports.filter((r) => r.serverId !== parsed.serverId),
      replaceRequests: state.replaceRequests.filter((s) => s !== parsed.serverId),
    }, lease);
  } finally {
    await ctx.deps.store.releaseLease(lease);
  }
  return done(io, ctx.options, { forgot: parsed.serverId }, `server ${parsed.serverId} forgotten`);
}

async function connectString(argv: readonly string[], io: Io): Promise<number> {
  const { options, positionals } = common(argv);
  noPositionals(positionals);
  const ctx = await context(parseOrThrow(CommonOptionsSchema, options, 'connect-string options'));
  const strings = await ctx.deps.store.readConnectString(ctx.options.cluster);
  if (!strings) throw new NotFoundError(`a published connect string for ${ctx.options.cluster} (no tick has run yet)`, { cluster: ctx.options.cluster });
  io.out(ctx.options.json ? JSON.stringify({ ...strings, strategy: ctx.spec.strategies.connectString }) : `${strings.clients}\nread-mostly: ${strings.readMostly}`);
  return 0;
}

async function specCommand(argv: readonly string[], io: Io): Promise<number> {
  const [sub, ...rest] = argv;
  const { options, positionals } = common(rest);
  if (sub === 'show') {
    noPositionals(positionals);
    const ctx = await context(parseOrThrow(CommonOptionsSchema, options, 'spec show options'));
    io.out(JSON.stringify(ctx.spec, null, 2));
    return 0;
  }
  if (sub === 'set') {
    const [file, ...extra] = positionals;
    noPositionals(extra);
    const parsed = parseOrThrow(SpecSetOptionsSchema, { ...options, file }, 'spec set arguments');
    if (!existsSync(parsed.file)) throw new NotFoundError(`spec file ${parsed.file}`, { file: parsed.file });
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(parsed.file, 'utf8'));
    } catch (err) {
      throw new InvalidInputError(`spec file ${parsed.file}`, [`(root): not JSON (${(err as Error).message})`], { cause: err });
    }
    const spec = parseOrThrow(ClusterSpecSchema, json, `spec file ${parsed.file}`);
    const ctx = await context(parsed);
    if (spec.cluster !== ctx.options.cluster) throw new InvalidInputError(`spec file ${parsed.file}`, [`cluster: ${JSON.stringify(spec.cluster)} is not ${JSON.stringify(ctx.options.cluster)}`]);
    await ctx.deps.store.writeSpec(ctx.options.cluster, spec);
    return done(io, ctx.options, { spec: 'written' }, `spec of ${ctx.options.cluster} replaced from ${parsed.file}; the next tick acts on it`);
  }
  throw new InvalidInputError('command line', [`spec: expected "show" or "set <file>" (got ${JSON.stringify(sub)})`]);
}

/** A request must name a server the cluster knows: a member of its config, or one it remembers. */
async function knownMember(ctx: Context, serverId: number): Promise<void> {
  const observed = await tickCluster(ctx.deps, ctx.options.cluster, { kind: 'manual', command: 'check' }, { dryRun: true });
  const config = observed.observation?.config.readable ? observed.observation.config.config : undefined;
  const remembered = (await ctx.deps.store.readState(ctx.options.cluster))?.state.members.some((m) => m.serverId === serverId);
  if (!config?.members.some((m) => m.serverId === serverId) && !(config === undefined && remembered)) {
    throw new NotFoundError(`server ${serverId} in cluster ${ctx.options.cluster}`, { serverId, members: config?.members.map((m) => m.serverId).join(',') ?? 'unknown' });
  }
}

function noPositionals(positionals: readonly string[]): void {
  if (positionals.length > 0) throw new InvalidInputError('command line', [`unexpected argument ${JSON.stringify(positionals[0])}`]);
}

function done(io: Io, options: CommonOptions, json: Record<string, unknown>, text: string): number {
  io.out(options.json ? JSON.stringify({ cluster: options.cluster, ...json }) : text);
  return 0;
}

function tickSummary(result: TickResult): Record<string, unknown> {
  return {
    cluster: result.cluster,
    outcome: result.outcome,
    step: result.step ? { ...result.step, ...(result.step.kind === 'reconfig' ? { change: JSON.parse(JSON.stringify(result.step.change, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString(16) : v))) } : {}) } : undefined,
    why: result.why,
    reports: result.reports,
    ...(result.error ? { error: { name: result.error.name, kind: result.error.kind, message: result.error.message } } : {}),
  };
}

export function homeOf(options: { home: string }): string {
  return resolve(options.home);
}

export const CONTROLLER_LOG = (home: string): string => join(home, 'controller.log');
