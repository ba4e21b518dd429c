import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { jsonLog } from '../adapters/local/index.js';
import { ClusterSpecSchema, CommonOptionsSchema, EnvSchema, OperatorActionSchema, parseJsonText, parseOrThrow, StartOptionsSchema } from '../config/index.js';
import { MemoryMetrics, placeLocalCluster } from '../adapters/local/index.js';
import { adoptEnsemble, runOperatorAction, summarizeStep, tickCluster, type StatusView } from '../controller/index.js';
import { ControllerError, InvalidInputError, NotCreatedError, NotFoundError } from '../errors.js';
import { awsClients, buildAwsDeps, buildLocalDeps } from '../wiring/index.js';
import { parseCommandLine } from './args.js';
import { createAndWait, CREATE_PACE } from './create.js';
import { runLoad } from './load.js';
import { runSimulate } from './simulate.js';
import { renderStatus, terminalText } from './status.js';

// The CLI's commands: argv -> an operator action (the same schema the `manual` Lambda takes) ->
// the shared action -> human text or --json. `tick` runs one tick (local mode only); `load` drives
// a workload.

export interface Io {
  out(text: string): void;
  err(text: string): void;
}

export const USAGE = `usage: zk-autoscaler <command> [--home DIR] [--cluster NAME] [--target local|aws] [--json]
  start                      local mode: create or resume the cluster, run the controller (npm start)
  create [--address-prefix 127.a.b]
                             start the cluster's spec as a new ensemble (its voters, one per zone); run
                             again, finishes one interrupted; refuses a cluster that has servers or state
  adopt --server HOST:PORT   take over a running ensemble (aws): tag its instances, write the state
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
  load --rate R [--reads-pct P] [--seconds S] [--clients C] [--connect HOSTS]
  simulate --trace CSV [--spec JSON] [--capacity RPS] [--failure-rate P] [--zone-outage a:600-690] [--out run.svg]`;

export const CONTROLLER_LOG = (home: string): string => join(home, 'controller.log');


export async function runCommand(argv: readonly string[], io: Io): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === undefined || command === 'help' || command === '--help') {
      io.out(USAGE);
      return command === undefined ? 2 : 0;
    }
    if (command === 'load') return await runLoad(rest, io);
    if (command === 'simulate') return await runSimulate(rest, io);
    const sub = command === 'spec' ? rest.shift() : undefined;
    const { options, positionals } = parseCommandLine(rest, ['home', 'cluster', 'target', 'voters', 'observers', 'reason', 'address-prefix', 'server'], ['json']);
    const common = parseOrThrow(CommonOptionsSchema, { home: options.home, cluster: options.cluster, target: options.target, json: options.json }, `${command} options`);
    const log = jsonLog(() => undefined);
    const local = common.target === 'local' ? buildLocalDeps({ home: resolve(common.home), log, holder: `cli:${process.pid}` }) : undefined;
    // EMF metrics are log lines Lambda turns into metrics: from a terminal they would only be noise.
    const deps = local ?? { ...buildAwsDeps(parseOrThrow(EnvSchema, { ...process.env, AWS_LAMBDA_FUNCTION_NAME: `cli:${process.pid}` }, 'environment'), awsClients(), log), metrics: new MemoryMetrics(log) };
    const { home: _home, json: _json, target: _target, ...given } = options;
    const [first, ...extra] = positionals;
    const takes = (names: string[], positional?: string): Record<string, unknown> => {
      const unexpected = Object.keys(given).filter((k) => k !== 'cluster' && !names.includes(k));
      if (unexpected.length > 0) throw new InvalidInputError('command line', [`${command}: does not take --${unexpected[0]}`]);
      const surplus = positional ? extra : positionals;
      if (surplus.length > 0) throw new InvalidInputError('command line', [`unexpected argument ${JSON.stringify(surplus[0])}`]);
      return { ...Object.fromEntries(names.map((n) => [n, given[n]]).filter(([, v]) => v !== undefined)), ...(positional ? { [positional]: first } : {}) };
    };

    if (command === 'tick') {
      takes([]);
      if (common.target === 'aws') throw new InvalidInputError('command line', ['tick: on AWS only the tick function acts (aws lambda invoke --function-name zk-autoscaler-<stage>-tick)']);
      const result = await tickCluster(deps, common.cluster, { kind: 'manual', command: 'tick' });
      io.out(common.json ? JSON.stringify({ cluster: result.cluster, outcome: result.outcome, why: result.why, step: summarizeStep(result) }) : terminalText(`${result.outcome}: ${result.why}`));
      return result.outcome === 'failed' ? 1 : 0;
    }
    if (command === 'create') {
      const { addressPrefix } = takes(['addressPrefix']);
      if (local) {
        const { addressPrefix: prefix } = parseOrThrow(StartOptionsSchema, { addressPrefix }, 'create options');
        await local.store.readSpec(common.cluster); // a mistyped cluster leaves nothing behind
        placeLocalCluster(local.store, common.cluster, { addressPrefix: prefix });
      } else if (addressPrefix !== undefined) throw new InvalidInputError('command line', ['create: --address-prefix is for --target local']);
      const pace = CREATE_PACE[common.target];
      const { created, tick } = await createAndWait(deps, common.cluster, pace);
      if (created.outcome !== 'created') throw new NotCreatedError(common.cluster, pace.timeoutMs, created.why);
      const members = created.members.map((m) => ({ serverId: m.serverId, host: m.host, role: m.role }));
      if (common.json) io.out(JSON.stringify({ cluster: common.cluster, outcome: created.outcome, why: created.why, members, tick: tick?.outcome }, null, 2));
      else io.out(terminalText(`created ${common.cluster}: ${created.why}\n${members.map((m) => `  server ${m.serverId}  ${m.host}  ${m.role}`).join('\n')}`));
      return 0;
    }
    if (command === 'adopt') {
      const { server } = takes(['server']);
      if (typeof server !== 'string') throw new InvalidInputError('adopt arguments', ['server: missing (adopt --server HOST:PORT, any member of the ensemble)']);
      const adopted = await adoptEnsemble(deps, common.cluster, server);
      if (common.json) io.out(JSON.stringify(adopted, null, 2));
      else io.out(terminalText(`adopted ${common.cluster} at config version ${adopted.configVersion}; the next tick manages it\n${adopted.members.map((m) => `  server ${m.serverId}  ${m.host}  ${m.role}  ${m.instanceId}  ${m.zone}`).join('\n')}`));
      return 0;
    }
    const input = actionInput(command, sub, takes);
    const action = parseOrThrow(OperatorActionSchema, { ...input, cluster: common.cluster }, `${command}${sub ? ` ${sub}` : ''} arguments`);
    const result = await runOperatorAction(deps, action, Date.now());
    if (common.json) io.out(JSON.stringify({ cluster: result.cluster, action: result.action, ...result.data }, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString(16) : v), 2));
    else io.out(action.action === 'status' ? renderStatus(result.data as unknown as StatusView) : terminalText(result.message));
    return 0;
  } catch (err) {
    if (err instanceof ControllerError) {
      io.err(terminalText(`zk-autoscaler: ${err.message}`));
      return err.kind === 'invalid-input' ? 2 : 1;
    }
    throw err;
  }
}

function actionInput(command: string, sub: string | undefined, takes: (names: string[], positional?: string) => Record<string, unknown>): Record<string, unknown> {
  switch (command) {
    case 'status':
    case 'plan':
    case 'pause':
    case 'resume':
    case 'connect-string':
      return { action: command, ...takes([]) };
    case 'scale':
      return { action: 'scale', ...takes(['voters', 'observers']) };
    case 'replace':
    case 'forget':
      return { action: command, ...takes([], 'serverId') };
    case 'report':
      return { action: 'report', ...takes(['reason'], 'serverId') };
    case 'spec':
      if (sub === 'show') return { action: 'spec-show', ...takes([]) };
      if (sub === 'set') {
        const { file } = takes([], 'file') as { file?: string };
        if (!file) throw new InvalidInputError('spec set arguments', ['file: missing (spec set FILE)']);
        if (!existsSync(file)) throw new NotFoundError(`spec file ${file}`, { file });
        const source = `spec file ${file}`;
        return { action: 'spec-set', spec: parseOrThrow(ClusterSpecSchema, parseJsonText(readFileSync(file, 'utf8'), source), source) };
      }
      throw new InvalidInputError('command line', [`spec: expected "show" or "set <file>" (got ${JSON.stringify(sub)})`]);
    default:
      throw new InvalidInputError('command line', [`command: unknown (got ${JSON.stringify(command)}); see --help`]);
  }
}
