import type { ServerFiles } from '../../core/bootstrap.js';

// EC2 user data: a shell script that writes the files the bootstrap rendered and starts ZooKeeper.
// zoo.cfg holds the super digest: every file is 0600 and owned by zookeeper, the config directory
// 0750, and the unit runs with umask 077 so that ZooKeeper's own rewrites stay owner-only.
// The launch template's image must carry ZooKeeper 3.6.2+ and a `zookeeper` systemd unit that runs
// QuorumPeerMain on /etc/zookeeper/conf/zoo.cfg (Debian's package layout).

export const EC2_CONFIG_DIR = '/etc/zookeeper/conf';
export const EC2_DATA_DIR = '/var/lib/zookeeper';
/** RunInstances takes at most 16 KB of user data (before base64). */
export const USER_DATA_MAX_BYTES = 16 * 1024;

const DELIMITER = 'ZK_AUTOSCALER_EOF';

/** The zookeeper unit's drop-in: files ZooKeeper itself writes (zoo.cfg after every reconfig,
 * with the digest) are owner-only too. */
const UMASK_DROP_IN = '/etc/systemd/system/zookeeper.service.d/zk-autoscaler-umask.conf';

export function renderUserData(files: ServerFiles): string {
  for (const text of [files.zooCfg, files.dynamicConfig, files.myid]) {
    if (text.includes(DELIMITER)) throw new Error(`a rendered file contains the heredoc delimiter ${DELIMITER}`);
  }
  // Created empty, owner-only and owned by zookeeper before a byte is written: the digest is never
  // readable by anyone else, not even for a moment. A missing zookeeper user stops the script (and
  // the server never starts) rather than leaving root-owned or readable files.
  const write = (path: string, text: string, owner: string): string =>
    `install -m 0600${owner ? ` ${owner}` : ''} /dev/null ${path}\ncat > ${path} <<'${DELIMITER}'\n${text.endsWith('\n') ? text : `${text}\n`}${DELIMITER}`;
  const zk = '-o zookeeper -g zookeeper';
  return [
    '#!/bin/bash',
    '# zk-autoscaler: files rendered by the same bootstrap function local mode runs.',
    'set -euo pipefail',
    'umask 077',
    `install -d -m 0750 ${zk} ${EC2_CONFIG_DIR}`,
    `install -d -m 0750 ${zk} ${EC2_DATA_DIR}`,
    write(`${EC2_CONFIG_DIR}/zoo.cfg`, files.zooCfg, zk),
    write(`${EC2_CONFIG_DIR}/zoo.cfg.dynamic`, files.dynamicConfig, zk),
    write(`${EC2_DATA_DIR}/myid`, files.myid, zk),
    'install -d -m 0755 /etc/systemd/system/zookeeper.service.d',
    write(UMASK_DROP_IN, '[Service]\nUMask=0077\n', ''),
    `chmod 0644 ${UMASK_DROP_IN}`,
    'systemctl daemon-reload',
    'systemctl enable zookeeper',
    'systemctl restart zookeeper',
    '',
  ].join('\n');
}
