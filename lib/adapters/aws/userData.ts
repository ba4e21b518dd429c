import type { ServerFiles } from '../../core/bootstrap.js';

// EC2 user data: a shell script that writes the files the bootstrap rendered and starts ZooKeeper.
// The launch template's image must carry ZooKeeper 3.6.2+ and a `zookeeper` systemd unit that runs
// QuorumPeerMain on /etc/zookeeper/conf/zoo.cfg (Debian's package layout).

export const EC2_CONFIG_DIR = '/etc/zookeeper/conf';
export const EC2_DATA_DIR = '/var/lib/zookeeper';
/** RunInstances takes at most 16 KB of user data (before base64). */
export const USER_DATA_MAX_BYTES = 16 * 1024;

const DELIMITER = 'ZK_AUTOSCALER_EOF';

export function renderUserData(files: ServerFiles): string {
  for (const text of [files.zooCfg, files.dynamicConfig, files.myid]) {
    if (text.includes(DELIMITER)) throw new Error(`a rendered file contains the heredoc delimiter ${DELIMITER}`);
  }
  const write = (path: string, text: string, mode: string): string => `install -m ${mode} /dev/null ${path}\ncat > ${path} <<'${DELIMITER}'\n${text.endsWith('\n') ? text : `${text}\n`}${DELIMITER}`;
  return [
    '#!/bin/bash',
    '# zk-autoscaler: files rendered by the same bootstrap function local mode runs.',
    'set -euo pipefail',
    `install -d -m 0755 ${EC2_CONFIG_DIR}`,
    `install -d -m 0750 ${EC2_DATA_DIR}`,
    write(`${EC2_CONFIG_DIR}/zoo.cfg`, files.zooCfg, '0640'),
    write(`${EC2_CONFIG_DIR}/zoo.cfg.dynamic`, files.dynamicConfig, '0640'),
    write(`${EC2_DATA_DIR}/myid`, files.myid, '0640'),
    'chown -R zookeeper:zookeeper /etc/zookeeper/conf /var/lib/zookeeper 2>/dev/null || true',
    'systemctl enable zookeeper',
    'systemctl restart zookeeper',
    '',
  ].join('\n');
}
