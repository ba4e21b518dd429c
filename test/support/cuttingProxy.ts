import { createServer, Socket, type Server } from 'node:net';

// A TCP proxy in front of one ZooKeeper server that cuts the connection once, at the first reconfig
// request (opcode 16): either before forwarding it (the change is lost) or after (only the reply is
// lost). It lets tests drive the "connection lost during reconfig" path deterministically.

export type Cut = 'before-forwarding' | 'after-forwarding';

export interface CuttingProxy {
  readonly address: string;
  /** Whether the cut has happened. */
  cut(): boolean;
  close(): Promise<void>;
}

const OP_RECONFIG = 16;

export async function startCuttingProxy(listenHost: string, target: { host: string; port: number }, when: Cut): Promise<CuttingProxy> {
  let done = false;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = new Socket();
    sockets.add(client).add(upstream);
    const closeBoth = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on('close', closeBoth).on('error', closeBoth);
    upstream.on('close', closeBoth).on('error', closeBoth);
    upstream.connect(target, () => upstream.on('data', (chunk) => client.write(chunk)));
    let pending = Buffer.alloc(0);
    let first = true; // the connect request has no request header
    client.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 4 && pending.length >= 4 + pending.readInt32BE(0)) {
        const frame = pending.subarray(0, 4 + pending.readInt32BE(0));
        pending = pending.subarray(frame.length);
        const isReconfig = !first && frame.length >= 12 && frame.readInt32BE(8) === OP_RECONFIG;
        first = false;
        if (isReconfig && !done) {
          done = true;
          if (when === 'after-forwarding') upstream.write(frame, () => setTimeout(closeBoth, 5));
          else closeBoth();
          return;
        }
        upstream.write(frame);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, listenHost, resolve));
  const port = (server.address() as { port: number }).port;
  return {
    address: `${listenHost}:${port}`,
    cut: () => done,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
