// Internal modules of node-zookeeper-client that lib/zk/session.ts patches or reads.
declare module 'node-zookeeper-client/lib/Exception.js' {
  const exceptions: { create: (code: number, path?: string) => Error };
  export default exceptions;
}
declare module 'node-zookeeper-client/lib/ConnectionManager.js' {
  const connectionManager: { STATES: { CLOSING: number } };
  export default connectionManager;
}
