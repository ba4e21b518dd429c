import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AwsAccessError, AwsCallError } from '../../../lib/adapters/aws/awsErrors.js';
import { Ec2Fleet } from '../../../lib/adapters/aws/ec2Fleet.js';
import { EnvSchema } from '../../../lib/config/index.js';
import type { Log } from '../../../lib/ports/index.js';
import { AWS_MAX_ATTEMPTS, AWS_REQUEST_TIMEOUT_MS, awsClients, buildAwsDeps } from '../../../lib/wiring/aws.js';

// The SDK clients the AWS wiring builds, against a local HTTP server that misbehaves the way a
// broken network path does (it accepts the connection and then never answers, or resets it) or
// answers as SSM, EC2 and CloudWatch answer a caller their IAM policy refuses. Every call must give
// up on its own, well inside the tick's budget, with our typed error saying why.

const quiet: Log = { debug() {}, info() {}, warn() {}, error() {}, child: () => quiet };

const sockets = new Set<Socket>();
let server: Server;
let respond: (req: IncomingMessage, res: ServerResponse) => void;
const saved = { ...process.env };

beforeAll(async () => {
  server = createServer((req, res) => respond(req, res));
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  // How an operator points the SDK at another endpoint (an emulator): no code path of our own.
  process.env.AWS_ENDPOINT_URL = `http://127.0.0.1:${address.port}`;
  process.env.AWS_REGION = 'eu-west-1';
  process.env.AWS_ACCESS_KEY_ID = 'AKIDEXAMPLE';
  process.env.AWS_SECRET_ACCESS_KEY = 'secret';
});

afterEach(() => {
  for (const s of sockets) s.destroy();
});

afterAll(async () => {
  process.env = saved;
  await new Promise((resolve) => server.close(resolve));
});

function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(() => expect.fail('the call answered'), (err: unknown) => err);
}

describe('the AWS clients of the wiring', () => {
  it('give up on an endpoint that accepts the connection and never answers, with a typed error keeping the cause', async () => {
    respond = () => undefined; // read the request, answer nothing
    const clients = awsClients();
    const deps = buildAwsDeps(EnvSchema.parse({}), clients, quiet);
    const started = Date.now();
    const errors = await Promise.all([
      rejection(deps.store.listClusters()),
      rejection(new Ec2Fleet(clients.ec2, { deployment: 'zk-autoscaler-dev', cluster: 'orders', log: quiet }).list()),
      rejection(deps.load.loadWindow('orders', [1], 300, Date.now())),
    ]);
    const elapsedMs = Date.now() - started;
    console.info(`hung endpoint: SSM, EC2 and CloudWatch gave up after ${elapsedMs} ms`);
    expect(elapsedMs).toBeGreaterThanOrEqual(AWS_REQUEST_TIMEOUT_MS * AWS_MAX_ATTEMPTS - 500);
    expect(elapsedMs).toBeLessThan(12_000);
    for (const err of errors) {
      expect(err).toBeInstanceOf(AwsCallError);
      const e = err as AwsCallError;
      expect(e.kind).toBe('transient');
      expect(e.code).toBe('TimeoutError');
      expect(e.message).toMatch(/failed: TimeoutError \(ETIMEDOUT: .*exceeded the configured 4000 ms requestTimeout/);
      expect(e.cause).toBeInstanceOf(Error);
      expect(e.context.cause).toMatch(/^ETIMEDOUT: /);
    }
    expect(errors.map((e) => (e as AwsCallError).service).sort()).toEqual(['cloudwatch', 'ec2', 'ssm']);
  }, 20_000);

  it('say that a reset connection was reset, not only that it timed out', async () => {
    respond = (req) => req.socket.resetAndDestroy();
    const clients = awsClients();
    const err = await rejection(new Ec2Fleet(clients.ec2, { deployment: 'zk-autoscaler-dev', cluster: 'orders', log: quiet }).list());
    expect(err).toBeInstanceOf(AwsCallError);
    expect((err as AwsCallError).message).toMatch(/^ec2 DescribeInstances orders failed: TimeoutError \(ECONNRESET: .*2 attempts\)$/);
    expect((err as AwsCallError).context).toMatchObject({ code: 'TimeoutError', cause: expect.stringMatching(/^ECONNRESET/) });
  });

  it('classify a refused identity or permission as an access error, with what AWS said', async () => {
    respond = (req, res) => {
      const target = String(req.headers['x-amz-target'] ?? '');
      if (target.startsWith('AmazonSSM.')) {
        res.writeHead(400, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(JSON.stringify({ __type: 'AccessDeniedException', message: 'User: arn:aws:sts::123456789012:assumed-role/zk/tick is not authorized to perform: ssm:GetParametersByPath' }));
      } else if (target.startsWith('GraniteServiceVersion20100801.')) {
        res.writeHead(403, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-query-error': 'AccessDenied;Sender' });
        res.end(JSON.stringify({ __type: 'com.amazonaws.cloudwatch#AccessDeniedException', message: 'User is not authorized to perform: cloudwatch:GetMetricData' }));
      } else {
        res.writeHead(403, { 'content-type': 'text/xml' });
        res.end('<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>UnauthorizedOperation</Code><Message>You are not authorized to perform this operation.</Message></Error></Errors><RequestID>r-1</RequestID></Response>');
      }
    };
    const clients = awsClients();
    const deps = buildAwsDeps(EnvSchema.parse({}), clients, quiet);
    const ssm = await rejection(deps.store.listClusters());
    const ec2 = await rejection(new Ec2Fleet(clients.ec2, { deployment: 'zk-autoscaler-dev', cluster: 'orders', log: quiet }).list());
    const cloudWatch = await rejection(deps.load.loadWindow('orders', [1], 300, Date.now()));
    for (const err of [ssm, ec2, cloudWatch]) {
      expect(err).toBeInstanceOf(AwsAccessError);
      expect((err as AwsAccessError).kind).toBe('access');
    }
    expect((ssm as Error).message).toBe('ssm GetParametersByPath /zk-autoscaler/zk-autoscaler-dev failed: AccessDeniedException (User: arn:aws:sts::123456789012:assumed-role/zk/tick is not authorized to perform: ssm:GetParametersByPath)');
    expect((ec2 as Error).message).toBe('ec2 DescribeInstances orders failed: UnauthorizedOperation (You are not authorized to perform this operation.)');
    expect((cloudWatch as Error).message).toMatch(/^cloudwatch GetMetricData orders failed: AccessDenied \(User is not authorized to perform: cloudwatch:GetMetricData\)$/);
  });
});
