import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { NormalizedSchema } from '@smithy/core/schema';
import type { StaticOperationSchema } from '@smithy/types';
import { escapeXml, inputSchema, missingRequired, outputSchema, readJson, readQuery, WireError, writeJson, writeXml } from './shapes.js';

// One HTTP server on 127.0.0.1 for the four services, told apart as AWS tells them apart: SSM,
// CloudWatch and SQS by the X-Amz-Target of their JSON protocols (awsJson1_1, awsJson1_0,
// awsJson1_0), EC2 by the form-encoded `Action=` of its query protocol. A request is decoded into the command input, sent
// to the service's model (the fakes behind their mocked clients), and the answer or the error is
// encoded back as the service would. Signatures are not checked.

export type ServiceName = 'ssm' | 'ec2' | 'cloudwatch' | 'sqs';

export interface Operation {
  readonly schema: StaticOperationSchema;
  readonly send: (input: never) => Promise<object>;
}

export type Operations = Readonly<Record<string, Operation>>;

/** A query-compatible service's error, as its JSON answer names it: the query-era code (the
 * `x-amzn-query-error` header the SDK reads first) and the HTTP status, from the SDK's error schemas. */
export type QueryErrors = ReadonlyMap<string, { readonly code: string; readonly status: number }>;

/** Each service's protocol facts: how it answers throttling and a missing parameter. */
const PROTOCOL = {
  ssm: { target: 'AmazonSSM', json: '1.1', throttling: 'ThrottlingException', missing: 'ValidationException' },
  cloudwatch: { target: 'GraniteServiceVersion20100801', json: '1.0', throttling: 'Throttling', missing: 'MissingParameter' },
  sqs: { target: 'AmazonSQS', json: '1.0', throttling: 'RequestThrottled', missing: 'MissingParameter' },
  ec2: { target: undefined, json: undefined, throttling: 'RequestLimitExceeded', missing: 'MissingParameter' },
} as const;

const EC2_VERSION = '2016-11-15';
const EC2_XMLNS = `http://ec2.amazonaws.com/doc/${EC2_VERSION}/`;

/** EC2 answers capacity shortfalls and internal errors as 500, throttling as 503 (both retried by the SDK). */
const EC2_STATUS: Readonly<Record<string, number>> = { InsufficientInstanceCapacity: 500, InternalError: 500, RequestLimitExceeded: 503 };

interface Reply {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

export interface WireServer {
  readonly endpoint: string;
  /** Requests per `service:Operation` (each SDK attempt is one), since the last reset. */
  readonly calls: Map<string, number>;
  /** The next N requests of `service:Operation` fail with the service's throttling error. */
  readonly throttled: Map<string, number>;
  close(): Promise<void>;
}

export async function startWireServer(services: Readonly<Record<ServiceName, Operations>>, queryErrors: Partial<Record<ServiceName, QueryErrors>> = {}): Promise<WireServer> {
  const calls = new Map<string, number>();
  const throttled = new Map<string, number>();

  /** The answer, and the schema to encode it with. */
  const dispatch = async (service: ServiceName, name: string, decode: (input: NormalizedSchema) => unknown): Promise<{ answer: object; output: NormalizedSchema }> => {
    const operation = services[service][name];
    if (!operation) {
      throw service === 'ec2'
        ? new WireError('InvalidAction', `The action ${name} is not valid for this web service.`)
        : new WireError('UnknownOperationException', `${name} is not an operation of ${service} in the test world`);
    }
    const key = `${service}:${name}`;
    calls.set(key, (calls.get(key) ?? 0) + 1);
    const left = throttled.get(key) ?? 0;
    if (left > 0) {
      throttled.set(key, left - 1);
      throw new WireError(PROTOCOL[service].throttling, 'Rate exceeded');
    }
    const input = decode(inputSchema(operation.schema)) ?? {};
    const missing = missingRequired(inputSchema(operation.schema), input);
    if (missing) {
      throw service === 'ssm'
        ? new WireError('ValidationException', `1 validation error detected: Value null at '${missing}' failed to satisfy constraint: Member must not be null`)
        : new WireError(PROTOCOL[service].missing, `The request must contain the parameter ${missing}`);
    }
    return { answer: await operation.send(input as never), output: outputSchema(operation.schema) };
  };

  const json = async (service: 'ssm' | 'cloudwatch' | 'sqs', target: string, body: string): Promise<Reply> => {
    const { json: version } = PROTOCOL[service];
    const name = target.slice(target.indexOf('.') + 1);
    const headers: Record<string, string> = { 'content-type': `application/x-amz-json-${version}`, 'x-amzn-requestid': randomUUID() };
    try {
      const { answer, output } = await dispatch(service, name, (input) => readJson(input, parseJson(body)));
      return { status: 200, headers, body: JSON.stringify(writeJson(output, answer) ?? {}) };
    } catch (err) {
      const { code, message } = codeOf(err);
      // CloudWatch and SQS speak JSON for services that spoke the query protocol: the old code rides
      // in a header (SQS's own: AWS.SimpleQueueService.NonExistentQueue for QueueDoesNotExist).
      const compat = queryErrors[service]?.get(code);
      if (service !== 'ssm') headers['x-amzn-query-error'] = `${compat?.code ?? code};${code === 'InternalError' ? 'Receiver' : 'Sender'}`;
      const status = compat?.status ?? (code === 'InternalError' ? 500 : 400);
      return { status, headers, body: JSON.stringify({ __type: service === 'sqs' ? `com.amazonaws.sqs#${code}` : code, message }) };
    }
  };

  const ec2 = async (body: string): Promise<Reply> => {
    const params = new Map(new URLSearchParams(body));
    const action = params.get('Action') ?? '';
    const requestId = randomUUID();
    const headers = { 'content-type': 'text/xml;charset=UTF-8', 'x-amzn-requestid': requestId };
    params.delete('Action');
    try {
      if (params.get('Version') !== EC2_VERSION) throw new WireError('InvalidParameterValue', `Version: the test world speaks ${EC2_VERSION} (got ${params.get('Version')})`);
      params.delete('Version');
      const { answer, output } = await dispatch('ec2', action, (input) => {
        const read = readQuery(input, params);
        const unknown = [...params.keys()][0];
        if (unknown !== undefined) throw new WireError('UnknownParameter', `The parameter ${unknown} is not recognized`);
        return read;
      });
      const members = writeXml(output, answer);
      return { status: 200, headers, body: `<?xml version="1.0" encoding="UTF-8"?>\n<${action}Response xmlns="${EC2_XMLNS}"><requestId>${requestId}</requestId>${members}</${action}Response>` };
    } catch (err) {
      const { code, message } = codeOf(err);
      const xml = `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>${escapeXml(code)}</Code><Message>${escapeXml(message)}</Message></Error></Errors><RequestID>${requestId}</RequestID></Response>`;
      return { status: EC2_STATUS[code] ?? 400, headers, body: xml };
    }
  };

  const route = async (req: IncomingMessage, body: string): Promise<Reply> => {
    const target = String(req.headers['x-amz-target'] ?? '');
    if (req.method !== 'POST') return { status: 405, headers: {}, body: '' };
    if (target.startsWith(`${PROTOCOL.ssm.target}.`)) return json('ssm', target, body);
    if (target.startsWith(`${PROTOCOL.cloudwatch.target}.`)) return json('cloudwatch', target, body);
    if (target.startsWith(`${PROTOCOL.sqs.target}.`)) return json('sqs', target, body);
    if (!target && /^Action=/.test(body)) return ec2(body);
    return { status: 400, headers: { 'content-type': 'text/plain' }, body: `the test world serves SSM, CloudWatch, SQS and EC2 only (target ${JSON.stringify(target)})` };
  };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void route(req, Buffer.concat(chunks).toString('utf8')).then((reply) => {
        res.writeHead(reply.status, reply.headers);
        res.end(reply.body);
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    calls,
    throttled,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

function parseJson(body: string): unknown {
  try {
    return JSON.parse(body || '{}');
  } catch {
    throw new WireError('SerializationException', 'the request body is not JSON');
  }
}

const JS_ERRORS = new Set(['Error', 'TypeError', 'RangeError', 'ReferenceError', 'SyntaxError', 'EvalError', 'URIError', 'AggregateError']);

/** A fake's error as the service names it; anything else is the world's own fault, said as such. */
function codeOf(err: unknown): { code: string; message: string } {
  if (err instanceof Error && /^[A-Z][A-Za-z0-9.]*$/.test(err.name) && !JS_ERRORS.has(err.name)) {
    return { code: err.name, message: err.message };
  }
  return { code: 'InternalError', message: `test world fault: ${err instanceof Error ? err.stack : String(err)}` };
}
