export { ADMIN_TIMEOUT_MS, buildLocalDeps, PROBE_TIMEOUT_MS, type LocalDeps } from './local.js';
export { awsClients, buildAwsDeps, type AwsClients } from './aws.js';
export { awsParts, depsFromEnv, instanceOwnersFromEnv, tickQueueFromEnv, type AwsParts } from './fromEnv.js';
