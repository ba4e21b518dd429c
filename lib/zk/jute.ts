// The jute records that node-zookeeper-client cannot write, as ZooKeeper's zookeeper.jute defines
// them: `ustring` is an int length plus UTF-8 bytes (-1 for null), `long` is 8 bytes big-endian.

export interface ReconfigRequest {
  /** Server lines to add (`server.N=host:q:e:role;client`): incremental reconfig. */
  readonly joining?: readonly string[];
  /** Server ids to remove: incremental reconfig. */
  readonly leaving?: readonly number[];
  /** The whole new membership: non-incremental; when set, ZooKeeper ignores joining and leaving. */
  readonly newMembers?: readonly string[];
  /** The config version the caller read (`-1n` skips the check; we never send it). */
  readonly fromConfig: bigint;
}

/** `ReconfigRequest { ustring joiningServers; ustring leavingServers; ustring newMembers; long curConfigId }` */
export function encodeReconfigRequest(r: ReconfigRequest): Buffer {
  return Buffer.concat([
    ustring(r.joining?.length ? r.joining.join(',') : null),
    ustring(r.leaving?.length ? r.leaving.join(',') : null),
    ustring(r.newMembers?.length ? r.newMembers.join(',') : null),
    long(r.fromConfig),
  ]);
}

/** `SyncRequest { ustring path }` */
export function encodeSyncRequest(path: string): Buffer {
  return ustring(path);
}

function ustring(text: string | null): Buffer {
  if (text === null) {
    const empty = Buffer.alloc(4);
    empty.writeInt32BE(-1, 0);
    return empty;
  }
  const bytes = Buffer.from(text, 'utf8');
  const framed = Buffer.alloc(4 + bytes.length);
  framed.writeInt32BE(bytes.length, 0);
  bytes.copy(framed, 4);
  return framed;
}

function long(value: bigint): Buffer {
  const buffer = Buffer.alloc(8);
  buffer.writeBigInt64BE(value, 0);
  return buffer;
}
