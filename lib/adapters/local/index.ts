export {
  ProcessFleet,
  liveProcesses,
  type LocalServer,
  type ProcessFleetOptions,
  type ServerPlacement,
  type StopMode,
} from './processFleet.js';
export {
  DEBIAN_JAVA_PACKAGE,
  DEBIAN_PACKAGES,
  aptCommand,
  findJava,
  findZooKeeper,
  type Env,
  type ZooKeeperInstall,
} from './zookeeperInstall.js';
export { FileStateStore } from './fileStateStore.js';
export { FileSuperPasswords } from './fileSuperPasswords.js';
export { LocalFleet } from './localFleet.js';
export { MemoryMetrics } from './memoryMetrics.js';
export { jsonLog } from './jsonLog.js';
export { placeLocalCluster, LOCAL_START_TIMEOUT_MS, processFleetFor, readLocalSettings, resumeLocalCluster, stopLocalCluster, type LocalSettings } from './localCluster.js';
