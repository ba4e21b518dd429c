export { arbFault, arbHistory, FAULT_KINDS, showFault, type Fault, type FaultKind, type History, type HistoryShape, type HistoryStep } from './faults.js';
export { CLUSTER, formatFailure, HOLDER, runHistory, storedState, validLeaseHolder, type HistoryOptions, type HistoryOutcome, type Plant, type Violation } from './history.js';
export { CONVERGED_WITHIN_TICKS, convergenceGap, ID_ALLOWANCE, INVARIANTS, JOINER_FAULT_GRACE_MS, REPLACED_WITHIN, type Check, type Invariant, type InvariantName, type Ledger } from './invariants.js';
export { BAD_VERSION, GOOD_VERSION, ModelWorld, ZONES, type Act, type CommitRecord, type Invocation, type ModelInstance } from './world.js';
export { runCampaign, type CampaignOptions, type CampaignReport } from './campaign.js';
