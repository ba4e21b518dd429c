// Runs before `npm start` and `npm test`: makes sure Java and ZooKeeper 3.6.2+ are here. Where they
// are missing and we are root with apt-get, installs Debian's packages (saying so); otherwise stops
// with the one command to run.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import {
  DEBIAN_JAVA_PACKAGE,
  DEBIAN_PACKAGES,
  findJava,
  findZooKeeper,
} from '../lib/adapters/local/index.js';
import { MissingDependencyError } from '../lib/errors.js';

function check(): MissingDependencyError | undefined {
  try {
    findJava();
    findZooKeeper();
    return undefined;
  } catch (err) {
    if (err instanceof MissingDependencyError) return err;
    throw err;
  }
}

function apt(args: string[]): void {
  const result = spawnSync('apt-get', args, {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  if (result.status !== 0) {
    console.error(`zk-autoscaler: "apt-get ${args.join(' ')}" failed (exit ${result.status ?? result.signal})`);
    process.exit(1);
  }
}

const missing = check();
if (missing) {
  const canInstall = process.getuid?.() === 0 && existsSync('/usr/bin/apt-get') && !process.env.ZOOKEEPER_HOME;
  if (!canInstall) {
    console.error(`zk-autoscaler: ${missing.message}`);
    process.exit(1);
  }
  const packages = [...DEBIAN_PACKAGES, DEBIAN_JAVA_PACKAGE];
  console.error(`zk-autoscaler: ${missing.dependency} is missing; installing ${packages.join(' ')} with apt-get`);
  apt(['update', '-qq']);
  apt(['install', '-y', '-qq', '--no-install-recommends', ...packages]);
  const still = check();
  if (still) {
    console.error(`zk-autoscaler: ${still.message}`);
    process.exit(1);
  }
}
