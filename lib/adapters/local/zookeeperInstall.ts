import { existsSync, readdirSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { hasReconfigFixes, parseZooKeeperVersion, showVersion } from '../../core/version.js';
import { MissingDependencyError } from '../../errors.js';

// Finds the Java runtime and the ZooKeeper jars that local mode runs: ZOOKEEPER_HOME first (an
// upstream tarball), then Debian's `zookeeper` package. It never installs anything itself; the
// message of its error is the one line a user needs.

export type Env = Readonly<Record<string, string | undefined>>;

export interface ZooKeeperInstall {
  readonly source: 'ZOOKEEPER_HOME' | 'debian';
  readonly version: string;
  readonly classpath: readonly string[];
  /** Debian ships log4j 1.2 bindings; upstream 3.8 ships logback with its own config. */
  readonly logging: { readonly kind: 'log4j' } | { readonly kind: 'logback'; readonly configFile: string };
}

/** The Debian packages local mode needs: ZooKeeper and, for its AdminServer, the servlet API. */
export const DEBIAN_PACKAGES = ['zookeeper', 'libservlet-api-java'] as const;
export const DEBIAN_JAVA_PACKAGE = 'default-jre-headless';
const DEBIAN_JARS = '/usr/share/java';

export function findJava(env: Env = process.env): string {
  const candidates = [
    ...(env.JAVA_HOME ? [join(env.JAVA_HOME, 'bin', 'java')] : []),
    ...(env.PATH ?? '').split(delimiter).filter(Boolean).map((dir) => join(dir, 'java')),
  ];
  const found = candidates.find((path) => existsSync(path));
  if (found) return found;
  throw new MissingDependencyError('Java', `run: ${aptCommand([DEBIAN_JAVA_PACKAGE])} (or set JAVA_HOME)`);
}

export function findZooKeeper(env: Env = process.env): ZooKeeperInstall {
  const install = env.ZOOKEEPER_HOME ? fromHome(env.ZOOKEEPER_HOME) : fromDebian();
  const version = parseZooKeeperVersion(install.version);
  if (!version || !hasReconfigFixes(version)) {
    throw new MissingDependencyError(
      'ZooKeeper 3.5.9+ (or 3.6.2+)',
      `${install.source} has ${version ? showVersion(version) : install.version}, without safe dynamic reconfiguration: set ZOOKEEPER_HOME to a ZooKeeper 3.6.2+ install`,
    );
  }
  return install;
}

function fromHome(home: string): ZooKeeperInstall {
  const jars = [home, join(home, 'lib')].flatMap((dir) => listJars(dir));
  const server = jars.find((jar) => /\/zookeeper-\d+\.\d+\.\d+[^/]*\.jar$/.test(jar) && !jar.includes('jute'));
  if (!server) {
    throw new MissingDependencyError('ZooKeeper', `ZOOKEEPER_HOME=${home} has no zookeeper-<version>.jar in it or in its lib/: point it at an unpacked ZooKeeper 3.6.2+ release`);
  }
  const logback = join(home, 'conf', 'logback.xml');
  return {
    source: 'ZOOKEEPER_HOME',
    version: /zookeeper-(\d+\.\d+\.\d+)/.exec(server)?.[1] ?? 'unknown',
    classpath: jars,
    logging: existsSync(logback) ? { kind: 'logback', configFile: logback } : { kind: 'log4j' },
  };
}

function fromDebian(): ZooKeeperInstall {
  const required = ['zookeeper.jar', 'servlet-api.jar', 'slf4j-log4j12.jar', 'log4j-1.2.jar'].map((jar) => join(DEBIAN_JARS, jar));
  const missing = required.filter((path) => !existsSync(path));
  if (missing.length > 0) {
    throw new MissingDependencyError('ZooKeeper', `run: ${aptCommand(DEBIAN_PACKAGES)} (or set ZOOKEEPER_HOME); missing ${missing.join(', ')}`);
  }
  // Debian names the jar `zookeeper.jar` and links `zookeeper-<version>.jar` to it.
  const versioned = readdirSync(DEBIAN_JARS)
    .map((name) => /^zookeeper-(\d+\.\d+\.\d+)\.jar$/.exec(name)?.[1])
    .find((version) => version !== undefined);
  return {
    source: 'debian',
    version: versioned ?? 'unknown',
    classpath: required,
    logging: { kind: 'log4j' },
  };
}

function listJars(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => name.endsWith('.jar'))
    .sort()
    .map((name) => join(dir, name));
}

export function aptCommand(packages: readonly string[]): string {
  const sudo = process.getuid?.() === 0 ? '' : 'sudo ';
  return `${sudo}apt-get install -y ${packages.join(' ')}`;
}
