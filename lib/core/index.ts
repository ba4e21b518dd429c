export * from './model.js';
export * from './ensembleConfig.js';
export * from './bootstrap.js';
export * from './version.js';
export * from './membershipChange.js';
export * from './health.js';
