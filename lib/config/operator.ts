import { z } from 'zod';
import { MAX_REQUESTS, MAX_TIME_MS, TEXT_BYTES } from '../core/limits.js';
import { clipText } from '../core/text.js';
import { InstanceIdSchema } from './events.js';
import { ClusterNameSchema } from './spec.js';
import { boundedText } from './state.js';
import { strictObject } from './strict.js';

// What an operator may ask, from the CLI or the `manual` Lambda: one schema for both, so both
// mean the same. Only `tick` (local CLI) acts; everything else reads, or records intent in the
// cluster's spec or requests for the next tick.

const ServerId = z.coerce.number().int().min(1).max(255);
/** A failure report's reason: short enough that the requests document always fits 4 KB. */
const Reason = boundedText(TEXT_BYTES.reason).min(1);
const base = { cluster: ClusterNameSchema };

export const OperatorActionSchema = z.discriminatedUnion('action', [
  strictObject({ action: z.literal('status'), ...base }),
  strictObject({ action: z.literal('plan'), ...base }),
  strictObject({
    action: z.literal('scale'),
    ...base,
    voters: z.coerce.number().int().min(1).max(255).optional(),
    observers: z.coerce.number().int().min(0).max(255).optional(),
  }),
  strictObject({ action: z.literal('replace'), ...base, serverId: ServerId }),
  strictObject({ action: z.literal('pause'), ...base }),
  strictObject({ action: z.literal('resume'), ...base }),
  strictObject({ action: z.literal('forget'), ...base, serverId: ServerId }),
  strictObject({ action: z.literal('report'), ...base, serverId: ServerId, reason: Reason }),
  strictObject({ action: z.literal('connect-string'), ...base }),
  strictObject({ action: z.literal('spec-show'), ...base }),
  strictObject({ action: z.literal('spec-set'), ...base, spec: z.unknown() }),
  strictObject({ action: z.literal('create'), ...base }),
]);
export type OperatorAction = z.output<typeof OperatorActionSchema>;

const requestFields = {
  id: z.string().regex(/^[a-z0-9-]{1,48}$/, 'must be 1-48 lowercase letters, digits or "-"'),
  reason: boundedText(TEXT_BYTES.reason),
  at: z.number().int().min(0).max(MAX_TIME_MS),
};

/** Recorded operator requests, as the state stores keep them for the next tick: one per kind and
 * server, at most MAX_REQUESTS, each bounded, so the document always fits its 4 KB parameter. */
export const OperatorRequestsSchema = z.preprocess(
  fromUnbounded,
  z.array(
    z.union([
      strictObject({ ...requestFields, kind: z.enum(['report', 'replace', 'forget']), serverId: z.number().int().min(1).max(255) }),
      // An EC2 notice's replace request names the instance it is about (it no longer counts once
      // that server id runs on another instance) and the deadline AWS gave, when it gave one.
      strictObject({
        ...requestFields,
        kind: z.literal('replace'),
        serverId: z.number().int().min(1).max(255),
        instanceId: InstanceIdSchema,
        deadline: z.number().int().min(0).max(MAX_TIME_MS).optional(),
      }),
      // Creating a cluster takes the super password and launches: the manual function records it
      // for the tick, which may do both.
      strictObject({ ...requestFields, kind: z.literal('create') }),
    ]),
  )
  .max(MAX_REQUESTS),
);
export type OperatorRequests = z.output<typeof OperatorRequestsSchema>;

/**
 * Both lists' requests, oldest first: one per kind and server (the newest: an alarm that fires again
 * renews its report; a request with the id of the one kept is the same request, not a newer one;
 * replace requests merge, mergedReplace), and when more than MAX_REQUESTS are left, reports go
 * before replace and forget requests, the oldest first: a storm of alarm reports never pushes out an
 * operator's request.
 */
export function mergeRequests(a: OperatorRequests, b: OperatorRequests): OperatorRequests {
  const newest = new Map<string, OperatorRequests[number]>();
  for (const r of [...a, ...b]) {
    const key = r.kind === 'create' ? r.kind : `${r.kind}:${r.serverId}`;
    const kept = newest.get(key);
    if (!kept) newest.set(key, r);
    else if (kept.kind === 'replace' && r.kind === 'replace') newest.set(key, mergedReplace(kept, r));
    // The same request recorded again (an event delivered twice) is not a newer one.
    else if (r.at >= kept.at && r.id !== kept.id) newest.set(key, r);
  }
  const merged = [...newest.values()].sort((x, y) => x.at - y.at);
  while (merged.length > MAX_REQUESTS) {
    const oldestReport = merged.findIndex((r) => r.kind === 'report');
    merged.splice(oldestReport >= 0 ? oldestReport : 0, 1);
  }
  return merged;
}

type Request = OperatorRequests[number];
type NoticeRequest = Extract<Request, { instanceId: string }>;
const isNotice = (r: Request): r is NoticeRequest => 'instanceId' in r;
const deadlineOf = (r: Request): number => (isNotice(r) ? (r.deadline ?? MAX_TIME_MS) : MAX_TIME_MS);

/** Two replace requests for one server: the newer one, carrying the notice with the earlier
 * deadline, so a later request without one (a rebalance recommendation after a Spot warning, an
 * operator's) never hides how soon AWS acts. */
function mergedReplace(kept: Request, r: Request): Request {
  // The same notice again (Health may move its start): as it says now, at the time first seen.
  if (r.id === kept.id) return { ...r, at: kept.at };
  const newer = r.at >= kept.at ? r : kept;
  const sooner = deadlineOf(r) <= deadlineOf(kept) ? r : kept;
  if (!isNotice(sooner) || newer.kind !== 'replace' || deadlineOf(sooner) >= deadlineOf(newer)) return newer;
  const { id, serverId, at } = newer;
  return { id, kind: 'replace', serverId, at, instanceId: sooner.instanceId, ...(sooner.deadline === undefined ? {} : { deadline: sooner.deadline }), reason: sooner.reason };
}

/** A requests document written before requests were bounded (20 kept, reasons of 200 characters) is
 * read as its newest MAX_REQUESTS, reasons clipped: it must not stop every tick after an upgrade. */
function fromUnbounded(input: unknown): unknown {
  if (!Array.isArray(input)) return input;
  return input.slice(-MAX_REQUESTS).map((r: unknown) => {
    const request = r as Record<string, unknown>;
    return typeof request?.reason === 'string' ? { ...request, reason: clipText(request.reason, TEXT_BYTES.reason) } : r;
  });
}
