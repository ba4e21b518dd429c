import { createHash } from 'node:crypto';

// Reconfig is authorised as ZooKeeper's super user (digest scheme): servers are started with the
// digest, the controller authenticates with the password. Never `skipACL`.

/** `super:<base64(sha1("super:<password>"))>`, the form ZooKeeper's superDigest property takes. */
export function superDigest(password: string): string {
  return `super:${createHash('sha1').update(`super:${password}`, 'utf8').digest('base64')}`;
}
