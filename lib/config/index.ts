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
  ControllerStateSchema,
  MemberHealthSchema,
  MemberRecordSchema,
  OperationSchema,
  initialState,
  type ControllerState,
  type MemberHealth,
  type MemberRecord,
  type Operation,
  type OperationStep,
} from './state.js';
export { mergeRequests, OperatorActionSchema, OperatorRequestsSchema, type OperatorAction, type OperatorRequests } from './operator.js';
export { alarmHint, AlarmActionEventSchema, AlarmStateChangeEventSchema, parseTickEvent, ScheduleEventSchema, type AlarmHint, type TickEvent } from './events.js';
export { EnvSchema, type Env } from './env.js';
