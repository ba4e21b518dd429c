export { AwsCallError, DEFAULT_RETRY, withThrottlingRetry, type RetryPolicy } from './awsErrors.js';
export { CloudWatchLoadSource, EmfMetricsSink } from './cloudWatchMetrics.js';
export { clientToken, Ec2Fleet, Ec2Listings, TAG } from './ec2Fleet.js';
export { ENSEMBLE_METRICS, NAMESPACE, SERVER_METRICS } from './metricNames.js';
export { powertoolsLog } from './powertoolsLog.js';
export { SsmStateStore } from './ssmStateStore.js';
export { SsmSuperPasswords, SUPER_PASSWORD_MIN_LENGTH } from './ssmSuperPasswords.js';
export { renderUserData } from './userData.js';
