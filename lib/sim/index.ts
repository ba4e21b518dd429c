export { ModelFleet, modelHost, type FailureKind, type ModelOptions, type ModelServer } from './modelFleet.js';
export { AWS_TIMINGS, minuteModel, mttrOver, runMttr, type AwsTimings, type MttrResult, type MttrRun, type MttrSummary } from './mttr.js';
export { modelHealth, notServingProbe, servingProbe, silentProbe, type ModelLoad } from './probes.js';
export { simulate, type Sample, type Scenario, type SimulationReport } from './simulate.js';
export { renderRunSvg } from './svg.js';
export { parseTrace } from './trace.js';
export { replay, type RecordedTick, type ReplayDifference } from './replay.js';
