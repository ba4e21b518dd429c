import { lowest, type Strategy } from './strategy.js';

/** The candidate with the fewest outstanding requests, then the fewest connections: the least
 * loaded to serve from, and the one whose removal moves the fewest clients. */
export const leastRequests: Strategy = {
  name: 'least-requests',
  pick(candidates, ctx) {
    const chosen = lowest(candidates, (c) => c.outstandingRequests * 1e6 + c.connections);
    const others = candidates.filter((c) => c !== chosen);
    const range = others.length === 0 ? 'the only candidate' : `others ${Math.min(...others.map((c) => c.connections))}+`;
    return {
      chosen,
      cursor: ctx.cursor,
      why: `${chosen.key} has the fewest requests (${chosen.outstandingRequests} outstanding, ${chosen.connections} connections; ${range})`,
    };
  },
};
