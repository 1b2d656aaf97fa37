// `pinsync --version` answers before the program is loaded (issue 18: at most 1.6× a bare `node -e 0`;
// `npm run bench -- --only version` measures it): no commander, no command module, no undici or sqlite.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { cliEntry, repoRoot } from './support/cli.js';

/** A module-resolution hook that reports every module the process loads, on stderr. */
const REPORT_LOADS = `data:text/javascript,${encodeURIComponent(`
import { register } from 'node:module';
register('data:text/javascript,' + encodeURIComponent('export async function resolve(s, c, next) { const r = await next(s, c); process._rawDebug("loaded " + r.url); return r; }'));
`)}`;

describe('start-up', () => {
  it('pinsync --version prints the version and loads nothing but main and the version', () => {
    const result = spawnSync(process.execPath, ['--import', REPORT_LOADS, cliEntry, '--version'], { encoding: 'utf8', cwd: repoRoot });
    expect(result.status).toBe(0);
    expect(result.stdout).toBe(`${JSON.parse(fs.readFileSync(`${repoRoot}/package.json`, 'utf8')).version}\n`);
    const loaded = result.stderr.split('\n').filter((line) => line.startsWith('loaded file:')).map((line) => line.replace(/^loaded file:\/\/.*?\/dist\//, 'dist/'));
    expect(loaded.sort()).toEqual(['dist/errors.js', 'dist/main.js', 'dist/version.js']);
  });

  // A command's help needs its flags, not the run: reading, hashing, sending, rate limits and jobs' commands load when a run starts.
  for (const args of [['--help'], ['push', '--help'], ['sync', '--help']]) {
    it(`pinsync ${args.join(' ')} loads no run machinery (threads, child processes, zlib, identify/, send/, rate limits)`, () => {
      const result = spawnSync(process.execPath, ['--import', REPORT_LOADS, cliEntry, ...args], { encoding: 'utf8', cwd: repoRoot });
      expect(result.status).toBe(0);
      const loaded = result.stderr.split('\n').filter((line) => line.startsWith('loaded ')).map((line) => line.replace(/^loaded (file:\/\/.*?\/dist\/)?/, ''));
      const heavy = loaded.filter((module) => /^node:(worker_threads|child_process|zlib)$|^(identify|send|input)\/|^pinterest\/ratelimit\/|^jobs\/command-input/.test(module));
      expect(heavy).toEqual([]);
    });
  }
});
