import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, inject, it } from 'vitest';

// The README's `npx serverless invoke local` commands, as a user runs them: osls builds the bundle
// with serverless-esbuild and runs the handler in-process, here with TARGET=local against a
// temporary home, no AWS credentials and no ZooKeeper. Each must answer and exit on its own.

const ROOT = join(import.meta.dirname, '..', '..');

interface Invocation {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly elapsedMs: number;
}

function invokeLocal(fn: string, eventFile: string, home: string): Promise<Invocation> {
  const env: NodeJS.ProcessEnv = { ...process.env, TARGET: 'local', ZK_AUTOSCALER_HOME: home };
  for (const name of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE']) delete env[name];
  const started = Date.now();
  // Its own process group, so that a hang (what this guards against) is killed whole after 60 s,
  // osls and its esbuild service included; it then fails below with exit code -1.
  const child = spawn('npx', ['serverless', 'invoke', 'local', '-f', fn, '-p', eventFile], { cwd: ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const killer = setTimeout(() => process.kill(-(child.pid ?? 0), 'SIGKILL'), 60_000);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => {
    child.on('close', (code) => {
      clearTimeout(killer);
      const elapsedMs = Date.now() - started;
      console.info(`invoke local -f ${fn} -p ${eventFile}: ${elapsedMs} ms`);
      resolve({ exitCode: code ?? -1, stdout, stderr, elapsedMs });
    });
  });
}

/** osls prints the handler's answer (or error) last, as indented JSON; log lines come before it. */
function answerOf(stdout: string): unknown {
  const lines = stdout.trimEnd().split('\n');
  return JSON.parse(lines.slice(lines.lastIndexOf('{')).join('\n'));
}

/** The EMF documents Powertools printed: one JSON line each. */
function emfOf(stdout: string): Record<string, unknown>[] {
  return stdout
    .split('\n')
    .filter((l) => l.startsWith('{"_aws"'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

// serverless-esbuild never empties its work folder after `invoke local`, and osls loads
// <handler>.js before <handler>.cjs: a bundle left there by an older build would run instead.
beforeAll(() => rmSync(join(ROOT, '.esbuild'), { recursive: true, force: true }));

const newHome = (): string => mkdtempSync(join(inject('testRoot'), 'invoke-local-'));

describe('serverless invoke local', () => {
  it('runs the tick on events/schedule.json and exits: no clusters, no results', async () => {
    const run = await invokeLocal('tick', 'events/schedule.json', newHome());
    expect(run.exitCode, run.stderr).toBe(0);
    expect(answerOf(run.stdout)).toEqual({ results: [] });
  }, 90_000);

  it('answers a manual action with a clear error when the cluster does not exist, and exits', async () => {
    const run = await invokeLocal('manual', 'events/manual-status.json', newHome());
    expect(run.exitCode, run.stderr).toBe(1);
    expect(answerOf(run.stdout)).toMatchObject({ errorType: 'NotFoundError', errorMessage: 'cluster "local" not found' });
  }, 90_000);

  it('reports a cluster whose tick failed, and counts it in TickFailed by kind', async () => {
    const home = newHome();
    mkdirSync(join(home, 'clusters', 'local'), { recursive: true });
    writeFileSync(join(home, 'clusters', 'local', 'spec.json'), JSON.stringify({ cluster: 'local', voters: { desired: 'many' } }));
    const run = await invokeLocal('tick', 'events/schedule.json', home);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(answerOf(run.stdout)).toMatchObject({ results: [{ cluster: 'local', outcome: 'failed', error: { kind: 'invalid-input' } }] });
    const failed = emfOf(run.stdout).filter((d) => 'TickFailed' in d);
    expect(failed).toEqual([expect.objectContaining({ TickFailed: 1, kind: 'invalid-input', service: 'zk-autoscaler' })]);
  }, 90_000);
});
