import { Socket } from 'node:net';

// Loopback address prefixes for test and benchmark clusters: `127.x.<third>`, x chosen so that
// nothing listens on its first address (another run, or a leftover), starting from the pid so
// concurrent runs seldom collide.

let nextOctet = 20 + (process.pid % 200);

export async function freeAddressPrefix(port: number, third = 0): Promise<string> {
  for (let tries = 0; tries < 50; tries++) {
    nextOctet = nextOctet >= 250 ? 20 : nextOctet + 1;
    const prefix = `127.${nextOctet}.${third}`;
    if (!(await listening(`${prefix}.1`, port))) return prefix;
  }
  throw new Error(`no free 127.x.${third} address prefix`);
}

function listening(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    socket.setTimeout(500);
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('timeout', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => (socket.destroy(), resolve(false)));
    socket.connect({ host, port });
  });
}
