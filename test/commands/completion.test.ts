// `pinsync completion bash|zsh|fish` in the real shells (bash, and zsh and fish from Debian): the bash
// script, sourced, completes what a user types; the zsh script loads and registers itself; fish
// completes from its script. Every command's --help ends with examples.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeHome } from '../support/home.js';
import { runInProcess } from '../support/in-process.js';
import { skipWithout } from '../support/machine.js';

const dir = makeHome('pinsync-completion-');
const scripts: Record<string, string> = {};

beforeAll(async () => {
  for (const shell of ['bash', 'zsh', 'fish']) {
    const result = await runInProcess(['completion', shell]);
    expect(result.code, result.stderr).toBe(0);
    scripts[shell] = path.join(dir, `pinsync.${shell}`);
    fs.writeFileSync(scripts[shell], result.stdout);
  }
});

const hasShell = (shell: string) => spawnSync(shell, ['-c', 'exit 0']).status === 0;

/** What bash offers for `line` (a trailing space starts a new word), as when Tab is pressed after it. */
function bashCompletes(line: string): string[] {
  const script = `source "$1"; read -ra COMP_WORDS <<< "$2"; [[ "$2" == *" " ]] && COMP_WORDS+=(""); COMP_CWORD=$((\${#COMP_WORDS[@]} - 1)); COMP_LINE="$2"; COMP_POINT=\${#2}; $(complete -p pinsync | sed -E 's/.* -F ([^ ]+) .*/\\1/'); printf '%s\\n' "\${COMPREPLY[@]}"`;
  const result = spawnSync('bash', ['--norc', '--noprofile', '-c', script, 'bash', scripts.bash!, line], { encoding: 'utf8', cwd: dir });
  expect(result.stderr).toBe('');
  return result.stdout.split('\n').filter(Boolean);
}

describe('pinsync completion', () => {
  it('bash: sourced, it registers for pinsync and completes `pinsync pu` to push and `pinsync push --aud` to --audience', () => {
    const registered = spawnSync('bash', ['--norc', '--noprofile', '-c', 'source "$1" && complete -p pinsync', 'bash', scripts.bash!], { encoding: 'utf8' });
    expect(registered.stdout.trim()).toBe('complete -F _pinsync pinsync');
    expect(bashCompletes('pinsync pu')).toEqual(['push']);
    const audience = bashCompletes('pinsync push --aud');
    expect(audience).toContain('--audience');
    expect(audience.every((flag) => flag.startsWith('--audience'))).toBe(true); // bash inserts the common prefix: --audience
  });

  it('bash: fixed values of flags and arguments, sub-commands, and files where a file goes', () => {
    fs.writeFileSync(path.join(dir, 'users.csv'), 'email\n');
    expect(bashCompletes('pinsync push users.csv --format ')).toEqual(['csv', 'ndjson']);
    expect(bashCompletes('pinsync sync users.csv --notify-on ')).toEqual(['failure', 'always']);
    expect(bashCompletes('pinsync audiences create X --country ')).toEqual(['US', 'CA', 'GB']);
    expect(bashCompletes('pinsync completion ')).toEqual(['bash', 'zsh', 'fish']);
    expect(bashCompletes('pinsync audiences ')).toEqual(['list', 'show', 'create']);
    expect(bashCompletes('pinsync --profile ops ru')).toEqual(['run', 'runs']);
    expect(bashCompletes('pinsync push use')).toEqual(['users.csv']);
    expect(bashCompletes('pinsync push users.csv --audience ')).toEqual([]); // a free value: nothing guessed
  });

  it('zsh: the script parses, loads after compinit without a word on stderr, and registers _pinsync', () => {
    if (skipWithout(hasShell('zsh'), 'zsh', 'apt-get install zsh')) return;
    expect(spawnSync('zsh', ['-n', scripts.zsh!], { encoding: 'utf8' }).stderr).toBe('');
    const loaded = spawnSync(
      'zsh',
      ['-f', '-c', 'autoload -Uz compinit && compinit -u -D && source "$1" && print -r -- "$_comps[pinsync] $+functions[_pinsync_push] $+functions[_pinsync_audiences_create]"', 'zsh', scripts.zsh!],
      { encoding: 'utf8', env: { ...process.env, HOME: dir } },
    );
    expect(loaded.stderr).toBe('');
    expect(loaded.status).toBe(0);
    expect(loaded.stdout.trim()).toBe('_pinsync 1 1');
  });

  it('fish: the script loads and completes commands, flags and fixed values', () => {
    if (skipWithout(hasShell('fish'), 'fish', 'apt-get install fish')) return;
    const fish = (line: string) => {
      const result = spawnSync('fish', ['--no-config', '-c', 'source $argv[1]; and complete -C $argv[2]', scripts.fish!, line], { encoding: 'utf8', env: { ...process.env, HOME: dir } });
      expect(result.stderr).toBe('');
      return result.stdout.split('\n').filter(Boolean).map((entry) => entry.split('\t')[0]);
    };
    expect(fish('pinsync pu')).toEqual(['push']);
    expect(fish('pinsync push --aud')).toContain('--audience');
    expect(fish('pinsync push users.csv --format ')).toEqual(['csv', 'ndjson']);
    expect(fish('pinsync audiences ').sort()).toEqual(['create', 'list', 'show']);
  });

  it('every command and sub-command ends its --help with two or three examples', async () => {
    const { buildProgram } = await import('../../src/program.js');
    const { commandsByPath } = await import('../../src/commands/examples.js');
    const program = buildProgram({ stdout: process.stdout, stderr: process.stderr } as never);
    for (const [name, command] of commandsByPath(program)) {
      const help = await runInProcess([...name.split(' '), '--help']);
      const examples = help.stdout.split('\nExamples:\n')[1]?.split('\n').filter((line) => line.startsWith('  $ '));
      expect(examples?.length, `pinsync ${name} --help`).toBeGreaterThanOrEqual(2);
      expect(examples!.length, `pinsync ${name} --help`).toBeLessThanOrEqual(3);
      expect(command.name()).toBe(name.split(' ').at(-1));
    }
  });
});
