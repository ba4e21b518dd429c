export { parseOrThrow, parseJsonText } from './parse.js';
export {
  ClusterNameSchema,
  ClusterSpecSchema,
  DetectionSchema,
  LoadPolicySchema,
  ObserverBoundsSchema,
  ScheduleSchema,
  StrategyNameSchema,
  VoterBoundsSchema,
  ZoneNameSchema,
  ZoneSchema,
  ZooKeeperSettingsSchema,
  type ClusterSpec,
  type StrategyName,
  type ZooKeeperSettings,
} from './spec.js';
export {
  CommonOptionsSchema,
  LoadOptionsSchema,
  SimulateOptionsSchema,
  StartOptionsSchema,
  type CommonOptions,
  type StartOptions,
} from './cli.js';
export {
  boundedText,
  ControllerStateSchema,
  MemberHealthSchema,
  OperationSchema,
  PendingReportSchema,
  RetiredIdSchema,
  STATE_SCHEMA_VERSION,
  ZoneAvoidedSchema,
  initialState,
  type ControllerState,
  type MemberHealth,
  type Operation,
  type OperationStep,
  type PendingReport,
  type RetiredId,
  type ZoneAvoided,
} from './state.js';
export { strictObject } from './strict.js';
export { mergeRequests, OperatorActionSchema, OperatorRequestsSchema, type OperatorAction, type OperatorRequests } from './operator.js';
export { alarmHint, AlarmActionEventSchema, AlarmStateChangeEventSchema, parseTickEvent, ScheduleEventSchema, type AlarmHint, type TickEvent } from './events.js';
export { EnvSchema, type Env } from './env.js';
export { documentText, leaseHolds, specStoredAs, stateText } from './documents.js';
