import { z } from 'zod';
import { ClusterNameSchema } from './spec.js';

// What an operator may ask, from the CLI or the `manual` Lambda: one schema for both, so both
// mean the same. Only `tick` (local CLI) acts; everything else reads, or records intent in the
// cluster's spec or requests for the next tick.

const ServerId = z.coerce.number().int().min(1).max(255);
const base = { cluster: ClusterNameSchema };

export const OperatorActionSchema = z.discriminatedUnion('action', [
  z.object({ action: z.literal('status'), ...base }),
  z.object({ action: z.literal('plan'), ...base }),
  z.object({
    action: z.literal('scale'),
    ...base,
    voters: z.coerce.number().int().min(1).max(255).optional(),
    observers: z.coerce.number().int().min(0).max(255).optional(),
  }),
  z.object({ action: z.literal('replace'), ...base, serverId: ServerId }),
  z.object({ action: z.literal('pause'), ...base }),
  z.object({ action: z.literal('resume'), ...base }),
  z.object({ action: z.literal('forget'), ...base, serverId: ServerId }),
  z.object({ action: z.literal('report'), ...base, serverId: ServerId, reason: z.string().min(1).max(200) }),
  z.object({ action: z.literal('connect-string'), ...base }),
  z.object({ action: z.literal('spec-show'), ...base }),
  z.object({ action: z.literal('spec-set'), ...base, spec: z.unknown() }),
]);
export type OperatorAction = z.output<typeof OperatorActionSchema>;

/** Recorded operator requests, as the state stores keep them for the next tick. */
export const OperatorRequestsSchema = z.array(
  z.object({ id: z.string(), kind: z.enum(['report', 'replace']), serverId: z.number().int().min(1).max(255), reason: z.string(), at: z.number() }),
);
export type OperatorRequests = z.output<typeof OperatorRequestsSchema>;

/** A tick reads every request; the newest are kept, few enough for a 4 KB SSM parameter. */
const KEPT_REQUESTS = 20;

/** Both lists' requests (by id), oldest first, the newest kept. */
export function mergeRequests(a: OperatorRequests, b: OperatorRequests): OperatorRequests {
  const byId = new Map([...a, ...b].map((r) => [r.id, r]));
  return [...byId.values()].sort((x, y) => x.at - y.at).slice(-KEPT_REQUESTS);
}
