import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EC2Client, TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import type { StatusView } from '../../lib/controller/index.js';
import type { AwsDeployment, TickDecision } from './awsDeployment.js';
import { waitFor } from './wait.js';

// EC2's events on a deployment WITH the tick queue (startAwsDeployment({ queue: true })): what
// happens from the moment EC2 acts to the committed swap, read from the function's log (each
// cluster tick logs its decision; a committed reconfig says so). Shared by the events e2e, which
// asserts on it, and the bench, which times it.

const EVENTS = join(import.meta.dirname, '..', '..', 'events');
/** EC2 warns a Spot instance this long before it acts. */
export const SPOT_NOTICE_MS = 120_000;

/** The sample event, about `instanceId`, with `detail` merged in. */
export function eventAbout(file: string, instanceId: string, detail: Record<string, unknown>): Record<string, unknown> {
  const event = JSON.parse(readFileSync(join(EVENTS, file), 'utf8')) as Record<string, unknown>;
  return { ...event, resources: [`arn:aws:ec2:eu-west-1:123456789012:instance/${instanceId}`], detail: { ...(event.detail as object), 'instance-id': instanceId, ...detail } };
}

/** The running instance of a server. */
export function instanceOf(d: AwsDeployment, serverId: number): string {
  const found = [...d.world.ec2.instances.values()].find((i) => i.State?.Name === 'running' && i.Tags?.some((t) => t.Key === 'zk-autoscaler:server-id' && t.Value === String(serverId)));
  if (!found?.InstanceId) throw new Error(`no running instance of server ${serverId}`);
  return found.InstanceId;
}

export function followerVoter(s: StatusView): number {
  const victim = s.members.find((m) => m.role === 'voter' && m.mode === 'follower')?.serverId;
  if (victim === undefined) throw new Error(`no follower voter in ${JSON.stringify(s.members)}`);
  return victim;
}

export interface HealSeen {
  readonly victim: number;
  readonly instanceId: string;
  /** When EC2 acted (the termination) or warned (the notice was published). */
  readonly startedAt: number;
  /** The cluster's tick decisions from then to the committed swap, in order. */
  readonly decisions: readonly TickDecision[];
  /** When the function logged the swap's reconfig committed. */
  readonly committedAt: number;
}

/** Waits (on the function's log only: no tick is driven) for the cluster's first reconfig committed
 * after `since`; the decisions logged up to it. */
export async function swapCommitted(d: AwsDeployment, since: number, timeoutMs: number): Promise<{ decisions: TickDecision[]; committedAt: number }> {
  const committed = await waitFor(
    'the swap committed (the function logs "reconfig committed")',
    () => d.log().find((r) => r.at >= since && r.fields.cluster === d.cluster && r.message.startsWith('reconfig committed')),
    { timeoutMs, intervalMs: 20 },
  );
  const decisions = d.decisions().filter((x) => x.cluster === d.cluster && x.at >= since && x.at <= committed.at);
  return { decisions, committedAt: committed.at };
}

/** EC2 terminates a follower voter's instance (its events reach the function through EventBridge's
 * rule); resolves once the function logged the swap committed. */
export async function terminateFollower(d: AwsDeployment, before: StatusView, timeoutMs: number): Promise<HealSeen> {
  const victim = followerVoter(before);
  const instanceId = instanceOf(d, victim);
  const startedAt = Date.now();
  await new EC2Client(d.world.clientConfig).send(new TerminateInstancesCommand({ InstanceIds: [instanceId] }));
  return { victim, instanceId, startedAt, ...(await swapCommitted(d, startedAt, timeoutMs)) };
}

export interface SpotSeen extends HealSeen {
  /** The notice's deadline: when EC2 takes the instance. */
  readonly deadline: number;
  readonly deadlineIso: string;
  /** Resolves when the world took the instance (at the deadline). */
  readonly taken: Promise<number>;
}

/** A Spot interruption warning about a follower voter, dated `aheadMs` before its two minutes run
 * out (EventBridge's time, to the second); the world takes the instance at that deadline by itself.
 * The warning goes through EventBridge to the function; resolves once the swap committed. */
export async function spotNotice(d: AwsDeployment, before: StatusView, aheadMs: number, timeoutMs: number): Promise<SpotSeen> {
  const victim = followerVoter(before);
  const instanceId = instanceOf(d, victim);
  const time = Math.floor((Date.now() + aheadMs - SPOT_NOTICE_MS) / 1000) * 1000;
  const deadline = time + SPOT_NOTICE_MS;
  const deadlineIso = new Date(deadline).toISOString().replace('.000Z', 'Z');
  const taken = d.world.takeInstanceAt(instanceId, deadline);
  const startedAt = Date.now();
  d.publish({ ...eventAbout('ec2-spot-interruption.json', instanceId, { 'instance-action': 'terminate' }), time: new Date(time).toISOString().replace('.000Z', 'Z') });
  return { victim, instanceId, startedAt, deadline, deadlineIso, taken, ...(await swapCommitted(d, startedAt, timeoutMs)) };
}
