import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findJava, findZooKeeper } from '../../lib/adapters/local/index.js';
import { MissingDependencyError } from '../../lib/errors.js';

function fakeHome(jars: string[], withLogback: boolean): string {
  const home = mkdtempSync(join(tmpdir(), 'zk-home-'));
  mkdirSync(join(home, 'lib'));
  mkdirSync(join(home, 'conf'));
  for (const jar of jars) writeFileSync(join(home, 'lib', jar), '');
  if (withLogback) writeFileSync(join(home, 'conf', 'logback.xml'), '<configuration/>');
  return home;
}

describe('findZooKeeper', () => {
  it('uses ZOOKEEPER_HOME first: every jar of its lib/ on the classpath, and its logback config', () => {
    const home = fakeHome(['zookeeper-3.9.2.jar', 'zookeeper-jute-3.9.2.jar', 'netty-handler-4.1.jar'], true);
    const install = findZooKeeper({ ZOOKEEPER_HOME: home });
    expect(install).toMatchObject({ source: 'ZOOKEEPER_HOME', version: '3.9.2', logging: { kind: 'logback', configFile: join(home, 'conf', 'logback.xml') } });
    expect(install.classpath).toHaveLength(3);
  });

  it('refuses a ZooKeeper without safe reconfig (older than 3.5.9 / 3.6.2), saying what to do', () => {
    for (const old of ['3.4.14', '3.5.8', '3.6.1']) {
      const home = fakeHome([`zookeeper-${old}.jar`], false);
      expect(() => findZooKeeper({ ZOOKEEPER_HOME: home })).toThrow(new RegExp(`has ${old.replace(/\./g, '\\.')}, without safe dynamic reconfiguration`));
    }
    expect(findZooKeeper({ ZOOKEEPER_HOME: fakeHome(['zookeeper-3.5.9.jar'], false) }).version).toBe('3.5.9');
  });

  it('says which directory lacks the jar when ZOOKEEPER_HOME points at something else', () => {
    const home = fakeHome([], false);
    expect(() => findZooKeeper({ ZOOKEEPER_HOME: home })).toThrow(MissingDependencyError);
    expect(() => findZooKeeper({ ZOOKEEPER_HOME: home })).toThrow(`ZOOKEEPER_HOME=${home} has no zookeeper-<version>.jar`);
  });

  it("finds Debian's zookeeper package (3.8, with the servlet API and log4j binding) when ZOOKEEPER_HOME is unset", () => {
    const install = findZooKeeper({});
    expect(install.source).toBe('debian');
    expect(install.version).toMatch(/^3\.\d+\.\d+$/);
    expect(install.classpath).toContain('/usr/share/java/servlet-api.jar');
  });
});

describe('findJava', () => {
  it('prefers JAVA_HOME, then PATH', () => {
    const javaHome = mkdtempSync(join(tmpdir(), 'java-home-'));
    mkdirSync(join(javaHome, 'bin'));
    writeFileSync(join(javaHome, 'bin', 'java'), '');
    expect(findJava({ JAVA_HOME: javaHome, PATH: '/usr/bin' })).toBe(join(javaHome, 'bin', 'java'));
  });

  it('stops with the exact command to install Java when there is none', () => {
    expect(() => findJava({ PATH: '/nonexistent' })).toThrow(/apt-get install -y default-jre-headless/);
  });
});
