import { GetParameterCommand } from '@aws-sdk/client-ssm';
import { describe, expect, it } from 'vitest';
import { SsmSuperPasswords } from '../../../lib/adapters/aws/ssmSuperPasswords.js';
import { InvalidInputError, NotFoundError } from '../../../lib/errors.js';
import { FakeSsm } from '../../support/fakeSsm.js';

// The super password is the one credential that bypasses every ACL of an ensemble: the store takes
// it only from a SecureString long enough not to be guessed from its digest, through a port of its
// own: the state store cannot read it.

const PREFIX = '/zk-autoscaler/zk-autoscaler-prod';
const NAME = `${PREFIX}/orders/super-password`;
const GOOD = 'kR4v9pT2mX7wQ1zL8sD3fG6h'; // 24 characters

function passwords(value?: string, type?: string): SsmSuperPasswords {
  const ssm = new FakeSsm();
  if (value !== undefined) ssm.set(NAME, value, type);
  return new SsmSuperPasswords(ssm.client, PREFIX, { attempts: 1, baseDelayMs: 1, sleep: async () => undefined });
}

describe('the super password parameter', () => {
  it('is read from a SecureString of at least 24 characters under the deployment\'s prefix', async () => {
    expect(await passwords(GOOD, 'SecureString').read('orders')).toBe(GOOD);
  });

  it('is refused as a plain String, naming the parameter and the fix', async () => {
    const err = await passwords(GOOD, 'String').read('orders').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidInputError);
    expect((err as Error).message).toContain(NAME);
    expect((err as Error).message).toContain('type: must be SecureString (got "String")');
  });

  it('is refused when shorter than 24 characters', async () => {
    const err = await passwords(GOOD.slice(0, 23), 'SecureString').read('orders').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidInputError);
    expect((err as Error).message).toContain(`super password parameter ${NAME}`);
    expect((err as Error).message).toContain('value: must be at least 24 characters (got 23)');
  });

  it('is reported missing with the command that creates it', async () => {
    await expect(passwords().read('orders')).rejects.toThrow(NotFoundError);
    await expect(passwords().read('orders')).rejects.toThrow('aws ssm put-parameter --type SecureString');
  });

  it('decrypts the super password once per 15 min per container, not every tick', async () => {
    const ssm = new FakeSsm();
    ssm.set('/zk-autoscaler/orders/super-password', 'first-password-of-24-chars', 'SecureString');
    let now = Date.UTC(2026, 11, 1);
    const passwords = new SsmSuperPasswords(ssm.client, '/zk-autoscaler', { attempts: 1, baseDelayMs: 1, sleep: async () => undefined }, () => now);
    expect(await passwords.read('orders')).toBe('first-password-of-24-chars');
    ssm.set('/zk-autoscaler/orders/super-password', 'rotated-password-24-chars', 'SecureString');
    now += 14 * 60_000;
    expect(await passwords.read('orders')).toBe('first-password-of-24-chars');
    now += 60_000;
    expect(await passwords.read('orders')).toBe('rotated-password-24-chars');
    expect(ssm.mock.commandCalls(GetParameterCommand).map((c) => c.args[0].input.WithDecryption)).toEqual([true, true]);
  });
});
