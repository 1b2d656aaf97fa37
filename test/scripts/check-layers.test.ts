// `npm run check:layers` holds the layers: run on small trees laid out like src/, it passes a tree whose
// imports point down and names each upward import (dynamic ones too), unranked room and cycle.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../support/cli.js';

const run = promisify(execFile);

function tree(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pinsync-layers-'));
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

async function check(dir: string): Promise<{ code: number; out: string }> {
  try {
    const { stdout } = await run(process.execPath, [path.join(repoRoot, 'scripts', 'check-layers.mjs'), dir]);
    return { code: 0, out: stdout };
  } catch (error) {
    const failed = error as { code: number; stdout: string };
    return { code: failed.code, out: failed.stdout };
  }
}

describe('check:layers', () => {
  it('passes when every import points down', async () => {
    const dir = tree({ 'runs/push.ts': "import { x } from '../send/batch.js';\n", 'send/batch.ts': "import type { E } from '../errors.js';\nexport const x = 1;\n", 'errors.ts': 'export type E = 1;\n' });
    expect(await check(dir)).toMatchObject({ code: 0 });
  });

  it('names an upward import, a dynamic one included, and fails', async () => {
    const dir = tree({ 'send/batch.ts': "export async function f() { return import('../runs/push.js'); }\n", 'runs/push.ts': 'export const y = 2;\n' });
    const result = await check(dir);
    expect(result.code).toBe(1);
    expect(result.out).toMatch(/upward: .*send\/batch\.ts imports .*runs\/push\.ts/);
  });

  it('names a room without a rank and a cycle inside a room', async () => {
    const dir = tree({ 'attic/old.ts': 'export const z = 3;\n', 'runs/a.ts': "import { b } from './b.js';\nexport const a = b;\n", 'runs/b.ts': "import { a } from './a.js';\nexport const b = a;\n" });
    const result = await check(dir);
    expect(result.code).toBe(1);
    expect(result.out).toMatch(/unranked: src\/attic\//);
    expect(result.out).toMatch(/cycle: .*runs\/a\.ts → .*runs\/b\.ts → .*runs\/a\.ts/);
  });
});
