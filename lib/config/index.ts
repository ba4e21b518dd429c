export { parseOrThrow, describeIssues } from './parse.js';
export {
  ClusterNameSchema,
  ClusterSpecSchema,
  ObserverBoundsSchema,
  VoterBoundsSchema,
  ZooKeeperSettingsSchema,
  type ClusterSpec,
  type ZooKeeperSettings,
} from './spec.js';
export { StartOptionsSchema, type StartOptions } from './cli.js';
