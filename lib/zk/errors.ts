import { ControllerError } from '../errors.js';

export type ProbeFailure =
  /** Nothing listens there (ECONNREFUSED): the process is down. */
  | 'refused'
  /** No answer before the deadline: a hung process, or a host that vanished. */
  | 'timeout'
  /** The connection broke before a full answer (reset, or closed mid-answer). */
  | 'broken'
  /** The address cannot be reached at all (EHOSTUNREACH, ENETUNREACH, EADDRNOTAVAIL...). */
  | 'unreachable';

/** How a socket error code shows in a probe's result. */
export function probeFailureOf(code: string | undefined): ProbeFailure {
  switch (code) {
    case 'ECONNREFUSED':
      return 'refused';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
      return 'unreachable';
    default:
      return 'broken';
  }
}

/** A probe that got no answer; `failure` says how, for detection's evidence. */
export class ProbeFailedError extends ControllerError {
  readonly kind = 'transient';

  constructor(
    readonly endpoint: string,
    readonly command: string,
    readonly failure: ProbeFailure,
    detail: string,
    options?: ErrorOptions,
  ) {
    super(`${command} to ${endpoint} failed (${failure}): ${detail}`, { endpoint, command, failure }, options);
    this.name = 'ProbeFailedError';
  }
}

/** Where a ZooKeeper call went and what it asked, for every error it raises. */
export interface CallContext {
  /** `host:port` of the server the session was connected to (or the connect string, before that). */
  readonly server: string;
  readonly operation: string;
  /** The call's arguments, as text. */
  readonly args: string;
}

/** A ZooKeeper call failed; one subclass per answer the controller must tell apart. */
export abstract class ZooKeeperCallError extends ControllerError {
  constructor(
    readonly call: CallContext,
    readonly code: number,
    what: string,
    options?: ErrorOptions,
  ) {
    super(`${call.operation}(${call.args}) on ${call.server}: ${what}`, { ...call, code }, options);
  }
}

/** -103: the config (or znode) moved past the version the caller read; someone else changed it. */
export class BadVersionError extends ZooKeeperCallError {
  readonly kind = 'conflict';
  constructor(call: CallContext, options?: ErrorOptions) {
    super(call, -103, 'bad version: changed since it was read', options);
    this.name = 'BadVersionError';
  }
}

/** -14: another reconfig is proposed and not yet committed. */
export class ReconfigInProgressError extends ZooKeeperCallError {
  readonly kind = 'transient';
  constructor(call: CallContext, options?: ErrorOptions) {
    super(call, -14, 'another reconfig is in progress', options);
    this.name = 'ReconfigInProgressError';
  }
}

/** -13: the new config's voters that are connected and synced are not a majority. */
export class NewConfigNoQuorumError extends ZooKeeperCallError {
  readonly kind = 'unsafe';
  constructor(call: CallContext, options?: ErrorOptions) {
    super(call, -13, 'the new config would have no synced quorum', options);
    this.name = 'NewConfigNoQuorumError';
  }
}

/** -123: the servers run with reconfigEnabled=false. */
export class ReconfigDisabledError extends ZooKeeperCallError {
  readonly kind = 'invalid-input';
  constructor(call: CallContext, options?: ErrorOptions) {
    super(call, -123, 'reconfig is disabled on the servers (reconfigEnabled=false)', options);
    this.name = 'ReconfigDisabledError';
  }
}

/** -8 or -5: ZooKeeper rejected the arguments (a malformed server line, too few voters...). */
export class BadArgumentsError extends ZooKeeperCallError {
  readonly kind = 'invalid-input';
  constructor(call: CallContext, code: number, options?: ErrorOptions) {
    super(call, code, 'bad arguments', options);
    this.name = 'BadArgumentsError';
  }
}

/** -102 or -115: no permission (for reconfig: not authenticated as super, or a wrong password). */
export class NotAuthorisedError extends ZooKeeperCallError {
  readonly kind = 'invalid-input';
  constructor(call: CallContext, code: number, options?: ErrorOptions) {
    super(call, code, code === -115 ? 'authentication failed' : 'not authorised (wrong or missing super digest password?)', options);
    this.name = 'NotAuthorisedError';
  }
}

/** -4: the connection dropped before the answer; the call may or may not have been applied. */
export class ConnectionLossError extends ZooKeeperCallError {
  readonly kind = 'transient';
  constructor(call: CallContext, options?: ErrorOptions) {
    super(call, -4, 'connection lost before the answer (the call may have been applied)', options);
    this.name = 'ConnectionLossError';
  }
}

/** -112: the session expired. */
export class SessionExpiredError extends ZooKeeperCallError {
  readonly kind = 'transient';
  constructor(call: CallContext, options?: ErrorOptions) {
    super(call, -112, 'session expired', options);
    this.name = 'SessionExpiredError';
  }
}

/** Our own deadline passed without an answer (or without a connection). */
export class ZooKeeperTimeoutError extends ZooKeeperCallError {
  readonly kind = 'transient';
  constructor(call: CallContext, timeoutMs: number) {
    super(call, -7, `no answer within ${timeoutMs} ms`);
    this.name = 'ZooKeeperTimeoutError';
  }
}

/** -101 / -110: the znode is missing, or already there. */
export class NoNodeError extends ZooKeeperCallError {
  readonly kind = 'conflict';
  constructor(call: CallContext, options?: ErrorOptions) {
    super(call, -101, 'no such znode', options);
    this.name = 'NoNodeError';
  }
}

export class NodeExistsError extends ZooKeeperCallError {
  readonly kind = 'conflict';
  constructor(call: CallContext, options?: ErrorOptions) {
    super(call, -110, 'znode already exists', options);
    this.name = 'NodeExistsError';
  }
}

/** Any other code: the server said something we did not plan for. */
export class UnexpectedZooKeeperError extends ZooKeeperCallError {
  readonly kind = 'unsafe';
  constructor(call: CallContext, code: number, options?: ErrorOptions) {
    super(call, code, `error code ${code}`, options);
    this.name = 'UnexpectedZooKeeperError';
  }
}

/** The one place that maps ZooKeeper's error codes to ours. */
export function errorForCode(code: number, call: CallContext, cause?: unknown): ZooKeeperCallError {
  const options = cause === undefined ? undefined : { cause };
  switch (code) {
    case -103:
      return new BadVersionError(call, options);
    case -14:
      return new ReconfigInProgressError(call, options);
    case -13:
      return new NewConfigNoQuorumError(call, options);
    case -123:
      return new ReconfigDisabledError(call, options);
    case -8:
    case -5:
      return new BadArgumentsError(call, code, options);
    case -102:
    case -115:
      return new NotAuthorisedError(call, code, options);
    case -4:
      return new ConnectionLossError(call, options);
    case -112:
      return new SessionExpiredError(call, options);
    case -101:
      return new NoNodeError(call, options);
    case -110:
      return new NodeExistsError(call, options);
    default:
      return new UnexpectedZooKeeperError(call, code, options);
  }
}

