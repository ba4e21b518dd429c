import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SuperPasswords } from '../../ports/index.js';
import type { FileStateStore } from './fileStateStore.js';

// Local mode's super passwords: a file per cluster, owner-only, made with a random password the
// first time one is needed.

export class FileSuperPasswords implements SuperPasswords {
  constructor(private readonly store: FileStateStore) {}

  async read(cluster: string): Promise<string> {
    const path = join(this.store.clusterDir(cluster), 'super-password');
    if (!existsSync(path)) {
      mkdirSync(this.store.clusterDir(cluster), { recursive: true });
      writeFileSync(path, randomBytes(18).toString('base64url'), { mode: 0o600, flag: 'wx' });
    }
    return readFileSync(path, 'utf8').trim();
  }
}
