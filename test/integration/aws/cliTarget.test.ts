import { GetParameterCommand, GetParametersCommand, ParameterNotFound, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { runCommand } from '../../../lib/cli/commands.js';
import { ClusterSpecSchema } from '../../../lib/config/index.js';

// `--target aws`: the CLI runs the same operator actions on SSM that the manual Lambda runs.

const ssm = mockClient(SSMClient);
afterEach(() => ssm.reset());

describe('the CLI with --target aws', () => {
  it('records a scale in the SSM spec parameter, validated, and refuses to tick', async () => {
    const spec = ClusterSpecSchema.parse({ cluster: 'orders' });
    ssm.on(GetParameterCommand).rejects(new ParameterNotFound({ message: 'not found', $metadata: {} }));
    // The spec is read with what a tick reads next, in one GetParameters; the rest is absent.
    ssm.on(GetParametersCommand).callsFake((input: { Names: string[] }) => ({
      Parameters: [{ Name: '/zk-autoscaler/zk-autoscaler-prod/orders/spec', Value: JSON.stringify(spec), Version: 3 }],
      InvalidParameters: input.Names.filter((n) => !n.endsWith('/spec')),
    }));
    ssm.on(PutParameterCommand).resolves({ Version: 4 });
    const out: string[] = [];
    const io = { out: (t: string) => void out.push(t), err: (t: string) => void out.push(t) };
    process.env.AWS_REGION = 'eu-west-1';
    process.env.ZK_AUTOSCALER_DEPLOYMENT = 'zk-autoscaler-prod'; // the deployment's prefix: /zk-autoscaler/zk-autoscaler-prod
    const code = await runCommand(['scale', '--voters', '5', '--cluster', 'orders', '--target', 'aws'], io);
    expect(out).toEqual(['spec of orders: voters 3 -> 5, observers 0 -> 0; the next tick acts on it']);
    expect(code).toBe(0);
    const put = ssm.commandCalls(PutParameterCommand)[0]?.args[0].input;
    expect(put?.Name).toBe('/zk-autoscaler/zk-autoscaler-prod/orders/spec');
    expect(JSON.parse(put?.Value ?? '{}')).toMatchObject({ cluster: 'orders', voters: { desired: 5 } });
    expect(await runCommand(['scale', '--voters', '9', '--cluster', 'orders', '--target', 'aws'], io)).toBe(2);
    expect(ssm.commandCalls(PutParameterCommand)).toHaveLength(1);
    expect(await runCommand(['tick', '--cluster', 'orders', '--target', 'aws'], io)).toBe(2);
    expect(out.at(-1)).toMatch(/only the tick function acts/);
    delete process.env.ZK_AUTOSCALER_DEPLOYMENT;
  });
});
