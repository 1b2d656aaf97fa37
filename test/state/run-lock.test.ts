// The run lock (a kernel lock on a small SQLite file) with real files: a lock that could not be taken
// all the way is not left held by the process that tried.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { acquireRunLock, isRunLockHeld } from '../../src/state/run-lock.js';
import { makeHome } from '../support/home.js';

describe('the run lock', () => {
  it('is free again when writing its holder file fails, so the next try takes it', async () => {
    const stateDir = makeHome();
    (await acquireRunLock(stateDir, 'run:x', 'pushing')).release();
    const [lockFile] = fs.readdirSync(path.join(stateDir, 'locks')).filter((name) => name.endsWith('.lock'));
    // Something in the way of the holder file (a folder where it goes): the write fails with EISDIR.
    const inTheWay = path.join(stateDir, 'locks', lockFile!.replace(/\.lock$/, '.holder'));
    fs.mkdirSync(inTheWay);
    await expect(acquireRunLock(stateDir, 'run:x', 'pushing')).rejects.toMatchObject({ code: 'EISDIR' });
    expect(await isRunLockHeld(stateDir, 'run:x')).toBe(false);
    fs.rmdirSync(inTheWay);
    (await acquireRunLock(stateDir, 'run:x', 'pushing')).release();
  });
});
