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
