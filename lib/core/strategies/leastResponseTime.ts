import { lowest, type Strategy } from './strategy.js';

/** The fastest candidate to serve from or place beside; on removal, the slowest goes. */
export const leastResponseTime: Strategy = {
  name: 'least-response-time',
  pick(candidates, ctx) {
    const removing = ctx.purpose === 'remove';
    const chosen = lowest(candidates, (c) => (removing ? -c.avgLatencyMs : c.avgLatencyMs));
    const latencies = candidates.map((c) => c.avgLatencyMs);
    return {
      chosen,
      cursor: ctx.cursor,
      why: `${chosen.key} is the ${removing ? 'slowest' : 'fastest'} (avg ${chosen.avgLatencyMs} ms; range ${Math.min(...latencies)}-${Math.max(...latencies)} ms)`,
    };
  },
};
