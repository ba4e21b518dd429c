export { ADMIN_TIMEOUT_MS, buildLocalDeps, PROBE_TIMEOUT_MS, type LocalDeps } from './local.js';
