import { Socket } from 'node:net';

// Loopback address prefixes for test and benchmark clusters: `127.x.<third>`, x chosen so that
// nothing listens on any of its first addresses (another run, or a leftover), starting from the pid
// so concurrent runs seldom collide. Every address a cluster may use is checked, not only the first:
// a leftover server still answering at .2 or .3 would be read as this cluster's member (same ids).

let nextOctet = 20 + (process.pid % 200);
/** Servers a test or bench cluster may run: ids 1 to 9. */
const CHECKED_HOSTS = 9;

export async function freeAddressPrefix(port: number, third = 0): Promise<string> {
  for (let tries = 0; tries < 50; tries++) {
    nextOctet = nextOctet >= 250 ? 20 : nextOctet + 1;
    const prefix = `127.${nextOctet}.${third}`;
    const taken = await Promise.all(Array.from({ length: CHECKED_HOSTS }, (_, i) => listening(`${prefix}.${i + 1}`, port)));
    if (!taken.some(Boolean)) return prefix;
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
