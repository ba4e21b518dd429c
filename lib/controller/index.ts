export { runTick, tickCluster, type ClusterPorts, type Deps, type TickOptions, type TickOutcome, type TickRecord, type TickResult, type Trigger } from './tick.js';
export { tickMetrics } from './metrics.js';
export { runOperatorAction, summarizeStep, type OperatorResult } from './operator.js';
export { createStep, type CreateOutcome, type CreateResult } from './create.js';
export { adoptEnsemble, type AdoptResult } from './adopt.js';
export { statusView, type StatusView } from './status.js';
export { handleTickEvent, tickSummary, triggerOf } from './triggers.js';
export { adminServerFor } from './observe.js';
export { launchRequest, type LaunchOf } from './launchRequest.js';
