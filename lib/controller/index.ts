export { runTick, tickCluster, type ClusterPorts, type Deps, type TickOptions, type TickOutcome, type TickResult, type Trigger } from './tick.js';
export { tickMetrics } from './metrics.js';
