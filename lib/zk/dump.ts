import { InvalidInputError } from '../errors.js';
import { NOT_SERVING } from './srvr.js';

// The leader's 4lw `dump`: its session tracker lists every live global session, bucketed by expiry
// (SessionTrackerImpl.dumpSessions: "Session Sets (buckets)/(sessions):", then "<n> expire at
// <date>:" and n lines "\t0x<id>"). A follower or observer answers "Global Sessions(n):" from its
// copy of the database instead; only the leader expires sessions, so only its list is read. Parsed
// strictly: anything else is an InvalidInputError naming the line, never a guess.

const HEADER = 'SessionTracker dump:';
const SETS = /^Session Sets \((\d{1,9})\)\/\((\d{1,9})\):$/;
const BUCKET = /^(\d{1,9}) expire at (.+):$/;
const SESSION = /^\t0x([0-9a-f]{1,16})$/;
/** Where the session list ends: what follows (every ephemeral node) is not read. */
export const DUMP_SESSIONS_END = 'ephemeral nodes dump:';

/** Every live global session id the leader's `dump` lists. */
export function parseLeaderSessions(text: string, source: string): bigint[] {
  const fail = (issue: string): never => {
    throw new InvalidInputError(source, [issue]);
  };
  if (text.trim() === NOT_SERVING) fail('dump: the server is not serving');
  const lines = text.split('\n');
  if (lines[0] !== HEADER) fail(`line 1: expected ${JSON.stringify(HEADER)} (got ${JSON.stringify(lines[0] ?? '')})`);
  const setsLine = lines[1] ?? '';
  if (setsLine.startsWith('Global Sessions(')) fail(`line 2: a learner's list (got ${JSON.stringify(setsLine)}): only the leader's is complete`);
  const sets = SETS.exec(setsLine) ?? fail(`line 2: expected "Session Sets (<buckets>)/(<sessions>):" (got ${JSON.stringify(setsLine)}; local sessions must stay off)`);
  const declared = Number(sets[2]);
  const ids = new Set<bigint>();
  let at = 2;
  for (;;) {
    const line = lines[at] ?? fail(`line ${at + 1}: the list ends before ${JSON.stringify(DUMP_SESSIONS_END)}`);
    if (line === DUMP_SESSIONS_END) break;
    const bucket = BUCKET.exec(line) ?? fail(`line ${at + 1}: expected "<n> expire at <date>:" or ${JSON.stringify(DUMP_SESSIONS_END)} (got ${JSON.stringify(line)})`);
    const count = Number(bucket[1]);
    for (let i = 1; i <= count; i++) {
      const entry = lines[at + i] ?? '';
      const session = SESSION.exec(entry) ?? fail(`line ${at + i + 1}: expected a tab and a session id 0x<hex> (got ${JSON.stringify(entry)})`);
      ids.add(BigInt(`0x${session[1]}`));
    }
    at += count + 1;
  }
  // The header counts the sessions before the buckets are walked: a session a ping moved to a
  // bucket made after the walk began is missed. Fewer ids than counted may hide one: not an answer.
  if (ids.size < declared) fail(`Session Sets: ${ids.size} sessions listed, ${declared} counted (a dump taken while sessions moved)`);
  return [...ids];
}
