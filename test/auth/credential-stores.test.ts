// The two credential stores: the 0600 file fallback, and the OS keychain (real Secret Service only;
// run inside `dbus-run-session -- bash .ci/with-keyring …`).
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { FileStore } from '../../src/auth/file-store.js';
import { KeychainStore } from '../../src/auth/keychain-store.js';
import { makeHome } from '../support/home.js';
import { hasSecretService, secretServiceLookup, skipWithout } from '../support/machine.js';

const sample = { appId: '1500001', appSecret: 'app-secret-xyz', accessToken: 'pina_test_access', refreshToken: 'pinr_test_refresh', accessTokenExpiresAt: 1 };

describe('file store', () => {
  it('creates credentials.json with mode 0600 inside a 0700 directory and keeps profiles apart', async () => {
    const dir = path.join(makeHome(), 'nested');
    const store = new FileStore(path.join(dir, 'credentials.json'));
    await store.write('default', sample);
    await store.write('work', { ...sample, accessToken: 'pina_work' });
    expect(fs.statSync(store.file).mode & 0o777).toBe(0o600);
    expect(fs.statSync(dir).mode & 0o777).toBe(0o700);
    expect(await store.read('default')).toEqual(sample);
    expect((await store.read('work'))?.accessToken).toBe('pina_work');
    expect(await store.remove('default')).toBe(true);
    expect(await store.read('default')).toBeUndefined();
    expect(await store.remove('default')).toBe(false);
    await store.remove('work');
    expect(fs.existsSync(store.file)).toBe(false);
  });

  it('tightens a credentials file someone made world-readable on the next write', async () => {
    const store = new FileStore(path.join(makeHome(), 'credentials.json'));
    fs.writeFileSync(store.file, JSON.stringify({ version: 1, profiles: {} }), { mode: 0o644 });
    await store.write('default', sample);
    expect(fs.statSync(store.file).mode & 0o777).toBe(0o600);
  });

  it('names the file when it is damaged', async () => {
    const store = new FileStore(path.join(makeHome(), 'credentials.json'));
    fs.writeFileSync(store.file, '{not json');
    await expect(store.read('default')).rejects.toThrow(/credentials.json is not valid JSON/);
  });
});

describe('file store sealed with PINSYNC_STORE_KEY', () => {
  it('keeps no token, secret or key in the bytes, and reads back only with the same key', async () => {
    const file = path.join(makeHome(), 'credentials.json');
    const store = new FileStore(file, 'the store key');
    await store.write('default', sample);
    await store.write('work', { ...sample, accessToken: 'pina_work_token' });
    const bytes = fs.readFileSync(file, 'latin1');
    for (const secret of [sample.accessToken, sample.refreshToken, sample.appSecret, 'pina_work_token', 'the store key']) expect(bytes).not.toContain(secret);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(await new FileStore(file, 'the store key').read('default')).toEqual(sample);
    await expect(new FileStore(file, 'another key').read('default')).rejects.toThrow(/PINSYNC_STORE_KEY does not open/);
    await expect(new FileStore(file).read('default')).rejects.toThrow(/sealed with PINSYNC_STORE_KEY, which is not set/);
  });

  it('refuses a sealed file whose header was altered, and leaves it as it was', async () => {
    const file = path.join(makeHome(), 'credentials.json');
    await new FileStore(file, 'k3y').write('default', sample);
    const sealed = JSON.parse(fs.readFileSync(file, 'utf8'));
    const forged = JSON.stringify({ ...sealed, kdf: { ...sealed.kdf, salt: randomBytes(16).toString('base64') } });
    fs.writeFileSync(file, forged);
    await expect(new FileStore(file, 'k3y').write('default', sample)).rejects.toThrow(/does not open/);
    expect(fs.readFileSync(file, 'utf8')).toBe(forged);
    fs.writeFileSync(file, JSON.stringify({ ...sealed, kdf: { ...sealed.kdf, N: 2 ** 30 } }));
    await expect(new FileStore(file, 'k3y').read('default')).rejects.toThrow(/sealed in a form this pinsync does not know/);
  });
});

const skip = skipWithout(
  hasSecretService(),
  'a Secret Service (gnome-keyring)',
  'run inside `dbus-run-session -- bash .ci/with-keyring npx vitest run test/auth`',
);

describe.skipIf(skip)('keychain store (Secret Service)', () => {
  it('probes, stores one JSON blob per profile under service "pinsync", reads it back and removes it', async () => {
    const store = new KeychainStore();
    expect(await store.probe()).toBe(true);
    const profile = `unit-${randomBytes(4).toString('hex')}`;
    await store.write(profile, sample);
    expect(JSON.parse(secretServiceLookup(profile))).toEqual(sample);
    expect(await store.read(profile)).toEqual(sample);
    expect(await store.remove(profile)).toBe(true);
    expect(await store.read(profile)).toBeUndefined();
    expect(secretServiceLookup(profile)).toBe('');
  });
});

describe('file store shared by processes', () => {
  it('two programs saving different profiles at once keep both (one lock over read, change and save)', async () => {
    const home = makeHome();
    const file = path.join(home, 'credentials.json');
    await new FileStore(file, 'one key').write('first', sample);
    await new FileStore(file, 'one key').write('second', sample);
    // Two programs of one home renew their own profile at the same moment.
    const renewedFirst = { ...sample, accessToken: 'pina_first_renewed', refreshToken: 'pinr_first_renewed' };
    const renewedSecond = { ...sample, accessToken: 'pina_second_renewed', refreshToken: 'pinr_second_renewed' };
    await Promise.all([new FileStore(file, 'one key').write('first', renewedFirst), new FileStore(file, 'one key').write('second', renewedSecond)]);
    const after = new FileStore(file, 'one key');
    expect(await after.read('first')).toEqual(renewedFirst);
    expect(await after.read('second')).toEqual(renewedSecond);
  });
});
