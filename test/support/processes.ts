import { liveProcesses } from '../../lib/adapters/local/index.js';

/** Pids of live processes whose command line mentions `dir`. */
export function processesUnder(dir: string): number[] {
  return liveProcesses()
    .filter(({ args }) => args.some((arg) => arg.includes(dir)))
    .map(({ pid }) => pid);
}

/** SIGKILLs every process whose command line mentions `dir`; returns their pids. Synchronous, so it
 * also works from a process 'exit' handler. */
export function killProcessesUnder(dir: string): number[] {
  const pids = processesUnder(dir);
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  return pids;
}

/** Kills every process under `dir` and waits (up to `timeoutMs`) until none is left alive. */
export async function killAndWait(dir: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (killProcessesUnder(dir).length > 0) {
    if (Date.now() > deadline) throw new Error(`processes under ${dir} survived SIGKILL for ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
