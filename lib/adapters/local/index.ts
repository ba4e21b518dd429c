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
