// Every error the controller raises. Its `kind` steers the tick: `transient` waits for the next
// tick, `conflict` stops this cluster quietly, `unsafe` reports and alarms without destroying
// anything, `invalid-input` alarms, `access` (AWS refused our credentials or permissions: waiting
// will not fix it) fails the tick loudly and alarms. Context is JSON-safe so it can go straight
// into a log line.

export type ErrorKind = 'transient' | 'conflict' | 'unsafe' | 'invalid-input' | 'access';
export type ErrorContext = Record<string, string | number | boolean>;

export abstract class ControllerError extends Error {
  abstract readonly kind: ErrorKind;
  readonly context: ErrorContext;

  constructor(message: string, context: ErrorContext, options?: ErrorOptions) {
    super(message, options);
    this.context = context;
  }
}

/** Input from outside (spec, state, event, CLI, mntr, config znode, bootstrap request) is wrong. */
export class InvalidInputError extends ControllerError {
  readonly kind = 'invalid-input';

  /**
   * @param source what was being read, e.g. "bootstrap request" or "mntr from 127.0.0.1"
   * @param issues one line per problem, each naming the field and the value
   */
  constructor(
    readonly source: string,
    readonly issues: readonly string[],
    options?: ErrorOptions,
  ) {
    super(`invalid ${source}: ${issues.join('; ')}`, { source, issues: issues.join('; ') }, options);
    this.name = 'InvalidInputError';
  }
}

/** ZooKeeper (or Java) is not installed where we can use it; the message says how to fix it. */
export class MissingDependencyError extends ControllerError {
  readonly kind = 'invalid-input';

  constructor(
    readonly dependency: string,
    readonly fix: string,
  ) {
    super(`${dependency} not found: ${fix}`, { dependency, fix });
    this.name = 'MissingDependencyError';
  }
}

/** A local ZooKeeper server did not start (or did not answer in time); carries its log tail. */
export class ServerStartError extends ControllerError {
  readonly kind = 'transient';

  constructor(
    readonly serverId: number,
    reason: string,
    readonly logTail: string,
    options?: ErrorOptions,
  ) {
    super(`server ${serverId} did not start: ${reason}\n--- last lines of its log ---\n${logTail}`, { serverId, reason }, options);
    this.name = 'ServerStartError';
  }
}

/** A creation did not reach a serving quorum in the time given; running create again finishes it. */
export class NotCreatedError extends ControllerError {
  readonly kind = 'transient';

  constructor(cluster: string, waitedMs: number, why: string) {
    super(`cluster ${cluster} not created within ${Math.round(waitedMs / 1000)} s: ${why}; run create again to finish it`, { cluster, waitedMs, why });
    this.name = 'NotCreatedError';
  }
}

/** Turns anything thrown into a ControllerError, keeping the original as the cause. */
export function toControllerError(err: unknown): ControllerError {
  if (err instanceof ControllerError) return err;
  return new UnexpectedError(err);
}

export class UnexpectedError extends ControllerError {
  readonly kind = 'unsafe';

  constructor(cause: unknown) {
    super(cause instanceof Error ? cause.message : String(cause), {}, { cause });
    this.name = 'UnexpectedError';
  }
}

/** One value, shown as it was given, for error messages ("voters=4"). */
export function showValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'bigint') return `${value}n`;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** Another controller holds the cluster's lease: an operator's act (adopt) that needs it waits. */
export class LeaseHeldError extends ControllerError {
  readonly kind = 'conflict';

  constructor(cluster: string, act: string) {
    super(`${act} ${cluster}: another controller holds the lease; nothing written, try again`, { cluster, act });
    this.name = 'LeaseHeldError';
  }
}

/** The lease was taken over (or expired) between claiming it and writing: stop, change nothing. */
export class LeaseLostError extends ControllerError {
  readonly kind = 'conflict';

  constructor(
    readonly cluster: string,
    readonly token: number,
    holder: string,
  ) {
    super(`lease on ${cluster} lost (token ${token}, now held by ${holder}): nothing written`, { cluster, token, holder });
    this.name = 'LeaseLostError';
  }
}

/** A cluster, server or file that does not exist. */
export class NotFoundError extends ControllerError {
  readonly kind = 'invalid-input';

  constructor(what: string, context: ErrorContext) {
    super(`${what} not found`, context);
    this.name = 'NotFoundError';
  }
}

/** A state or requests document would not fit where it is stored: refused before anything is written. */
export class StateTooLargeError extends ControllerError {
  readonly kind = 'unsafe';

  constructor(cluster: string, what: string, bytes: number, limit: number) {
    super(`${what} of ${cluster} is ${bytes} bytes, more than the ${limit} it may take: nothing written`, { cluster, what, bytes, limit });
    this.name = 'StateTooLargeError';
  }
}

/** The lease has too little time left for the step: it is not started, so it cannot outlive the lease. */
export class LeaseExpiringError extends ControllerError {
  readonly kind = 'conflict';

  constructor(cluster: string, step: string, leftMs: number, needsMs: number) {
    super(`${step} on ${cluster} not started: the lease has ${leftMs} ms left and the step may take ${needsMs} ms`, { cluster, step, leftMs, needsMs });
    this.name = 'LeaseExpiringError';
  }
}
