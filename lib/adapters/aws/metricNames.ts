// Every metric the controller publishes: one place for names and units. Namespace from
// POWERTOOLS_METRICS_NAMESPACE (default ZkAutoscaler); dimensions `service` and `cluster`, plus
// `serverId` for per-server metrics. The alarm metrics also go out with `service` alone (one alarm
// for every cluster under the prefix); TickFailed goes out with `service` and `kind`.

export const NAMESPACE = 'ZkAutoscaler';

export const ENSEMBLE_METRICS = {
  voters: { name: 'Voters', unit: 'Count' },
  votersSynced: { name: 'VotersSynced', unit: 'Count' },
  observers: { name: 'Observers', unit: 'Count' },
  /** Voters that may still fail before the quorum is lost; below 1 the quorum is at risk. */
  quorumMargin: { name: 'QuorumMargin', unit: 'Count' },
  failedMembers: { name: 'FailedMembers', unit: 'Count' },
  observerShortfall: { name: 'ObserverShortfall', unit: 'Count' },
  /** Hot spares kept, and of them the ones synced (a heal by one reconfig is ready). */
  hotSpares: { name: 'HotSpares', unit: 'Count' },
  hotSparesReady: { name: 'HotSparesReady', unit: 'Count' },
  operationInFlight: { name: 'OperationInFlight', unit: 'Count' },
  /** New servers that failed to join in a row: launches back off, and stop at 3 (the launch-failing alarm). */
  launchFailures: { name: 'LaunchFailures', unit: 'Count' },
  connections: { name: 'Connections', unit: 'Count' },
  avgLatency: { name: 'AvgLatency', unit: 'Milliseconds' },
  outstandingRequests: { name: 'OutstandingRequests', unit: 'Count' },
} as const;

export const SERVER_METRICS = {
  healthy: { name: 'ServerHealthy', unit: 'Count' },
  avgLatency: { name: 'ServerAvgLatency', unit: 'Milliseconds' },
  outstandingRequests: { name: 'ServerOutstandingRequests', unit: 'Count' },
  connections: { name: 'ServerConnections', unit: 'Count' },
  packetsReceived: { name: 'ServerPacketsReceived', unit: 'Count' },
} as const;

/** Published by the tick function, once per failed cluster tick (or failed invocation), with the
 * dimensions `service` and `kind` (the error's kind): the access-denied alarm watches kind=access. */
export const TICK_METRICS = {
  failed: { name: 'TickFailed', unit: 'Count' },
} as const;
