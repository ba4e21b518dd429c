// serverless.yml reads the parameters that decide what the functions' roles may touch from here
// (offline, while it resolves variables), so that a wildcard never reaches IAM by default:
// - deploymentId: in every tag, EC2 filter, IAM condition and the SSM prefix; `[a-z0-9-]`, 1..32.
// - launchTemplateId: the one template RunInstances may use; required, one id (`lt-` + hex).
// - instanceRoleArn: the one role the servers' instance profile passes; required, no wildcard.
// `invoke local` runs the handlers on this machine and touches no AWS account, so it may go without
// the last two (README "Trying the functions here").
'use strict';

const invokeLocal = () => {
  const words = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  return words[0] === 'invoke' && words[1] === 'local';
};

/** @param {{ resolveVariable: (address: string) => Promise<unknown> }} resolver @param {string} name */
const read = async ({ resolveVariable }, name) => String((await resolveVariable(`param:${name}`)) ?? '').trim();

module.exports = {
  deploymentId: async (resolver) => {
    const id = await read(resolver, 'deploymentId');
    if (!/^[a-z0-9-]{1,32}$/.test(id)) {
      throw new Error(`deploymentId must be 1-32 lowercase letters, digits or "-" (got "${id}"); it goes into tags, IAM conditions and the SSM prefix`);
    }
    return id;
  },
  launchTemplateId: async (resolver) => {
    const id = await read(resolver, 'launchTemplateId');
    if (id === '' && invokeLocal()) return 'lt-00000000000000000';
    if (id === '') throw new Error('launchTemplateId is required: --param="launchTemplateId=lt-0abc123..." (the one launch template the tick may launch servers from)');
    if (!/^lt-[0-9a-f]{8,17}$/.test(id)) {
      throw new Error(`launchTemplateId must be one launch template id such as lt-0abc1234567890def (got "${id}"): a pattern would let the tick launch from any template`);
    }
    return id;
  },
  instanceRoleArn: async (resolver) => {
    const arn = await read(resolver, 'instanceRoleArn');
    if (arn === '' && invokeLocal()) return 'arn:aws:iam::000000000000:role/zk-autoscaler-invoke-local';
    if (arn === '') throw new Error('instanceRoleArn is required: --param="instanceRoleArn=arn:aws:iam::123456789012:role/zk-server" (the role of the servers\' instance profile)');
    if (!/^arn:aws[a-z-]*:iam::\d{12}:role\/[A-Za-z0-9+=,.@_/-]+$/.test(arn)) {
      throw new Error(`instanceRoleArn must be one role ARN without wildcards, e.g. arn:aws:iam::123456789012:role/zk-server (got "${arn}")`);
    }
    return arn;
  },
};
