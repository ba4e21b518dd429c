export { superDigest } from './auth.js';
export { ProbeFailedError, type ProbeFailure } from './errors.js';
export { sendFourLetterWord, type FourLetterWord } from './fourLetterWord.js';
export { DUMP_SESSIONS_END, parseLeaderSessions } from './dump.js';
export { NOT_SERVING, parseSrvr, type SrvrAnswer, type SrvrStats } from './srvr.js';
export { healthFrom, monitorJsonToMntr, parseMntr } from './mntr.js';
export { probeMembers, probeServer, type ProbeOptions, type ProbeTarget } from './probe.js';
export {
  BadArgumentsError,
  BadVersionError,
  ConnectionLossError,
  NewConfigNoQuorumError,
  NoNodeError,
  NodeExistsError,
  NotAuthorisedError,
  ReconfigDisabledError,
  ReconfigInProgressError,
  SessionExpiredError,
  UnexpectedZooKeeperError,
  ZooKeeperCallError,
  ZooKeeperTimeoutError,
  errorForCode,
  type CallContext,
} from './errors.js';
export { encodeReconfigRequest, type ReconfigRequest } from './jute.js';
export { ZooKeeperSession, describeReconfig, type CreateMode, type SessionOptions, type ZnodeData } from './session.js';
export { CONFIG_ZNODE, MARKER_ZNODE, ZooKeeperEnsembleAdmin, type EnsembleAdminOptions, type ReconfigResult } from './ensembleAdmin.js';
export { zooKeeperEnsemble, zooKeeperProbe } from './ports.js';
