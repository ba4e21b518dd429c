import { InvalidInputError } from '../errors.js';

// The server id a running ZooKeeper says it has: the `serverId=N` line of 4lw `conf`, or
// `server_id` of the AdminServer's `/commands/conf`. A probe checks it against the id the fleet
// says lives at that address: after EC2 hands a terminated instance's private IP to another, the
// server answering there is not the one we meant.

export function parseConfServerId(text: string, source: string): number {
  const line = /^serverId=(\d{1,3})$/m.exec(text);
  const id = line ? Number(line[1]) : Number.NaN;
  if (!Number.isInteger(id) || id < 1 || id > 255) {
    throw new InvalidInputError(source, [`serverId: expected a line "serverId=<1..255>" (got ${JSON.stringify(text.slice(0, 80))})`]);
  }
  return id;
}
