import { Command, CommanderError } from 'commander';
import { describe, expect, it } from 'vitest';
import { parseDuration, parseInteger, parseNumber } from '../../src/commands/action.js';
import { durationToMs } from '../../src/duration.js';

/** Parses `args` with one option, as a user's command line would be; the value or commander's message. */
function parseFlag(flag: string, parser: (value: string) => unknown, args: string[]): unknown {
  let message = '';
  const program = new Command()
    .exitOverride()
    .configureOutput({ writeErr: (text) => (message += text), writeOut: () => {} })
    .option(flag, 'under test', parser);
  try {
    program.parse(args, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) return message.trim();
    throw error;
  }
  return Object.values(program.opts())[0];
}

describe('flag parsers', () => {
  const batchSize = parseInteger('--batch-size', 1, 1900);

  it('takes whole numbers within the limits', () => {
    expect(parseFlag('--batch-size <n>', batchSize, ['--batch-size', '1900'])).toBe(1900);
    expect(parseFlag('--batch-size <n>', batchSize, ['--batch-size', '1'])).toBe(1);
  });

  it('refuses numbers outside the limits, fractions and words, saying what it takes', () => {
    for (const bad of ['0', '1901', '2.5', 'ten', '']) {
      expect(parseFlag('--batch-size <n>', batchSize, ['--batch-size', bad]), bad).toBe(
        `error: option '--batch-size <n>' argument '${bad}' is invalid. --batch-size must be a whole number from 1 to 1900, not "${bad}".`,
      );
    }
  });

  it('takes fractional numbers where a rate allows them', () => {
    const rate = parseNumber('--rate', 0.1, 100);
    expect(parseFlag('--rate <qps>', rate, ['--rate', '0.5'])).toBe(0.5);
    expect(parseFlag('--rate <qps>', rate, ['--rate', '0'])).toMatch(/--rate must be a number from 0.1 to 100, not "0"\.$/);
    expect(parseFlag('--rate <qps>', rate, ['--rate', 'Infinity'])).toMatch(/not "Infinity"/);
  });

  it('reads durations with units, combined units and plain seconds', () => {
    expect(durationToMs('13h')).toBe(13 * 3_600_000);
    expect(durationToMs('1h30m')).toBe(90 * 60_000);
    expect(durationToMs(' 45S ')).toBe(45_000);
    expect(durationToMs('500ms')).toBe(500);
    expect(durationToMs('2d')).toBe(2 * 86_400_000);
    expect(durationToMs('1.5h')).toBe(5_400_000);
    expect(durationToMs('90')).toBe(90_000);
  });

  it('refuses durations it cannot read as a whole', () => {
    for (const bad of ['', 'h', '13x', '1h 30m', '13h!', '-5m']) expect(durationToMs(bad), bad).toBeUndefined();
    expect(parseFlag('--retry-for <d>', parseDuration('--retry-for'), ['--retry-for', 'soon'])).toMatch(
      /--retry-for takes a duration such as 13h, 90m or 30s, not "soon"\.$/,
    );
  });
});
