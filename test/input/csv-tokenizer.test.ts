import { describe, expect, it } from 'vitest';
import { CsvTokenizer } from '../../src/input/csv-tokenizer.js';

function tokenize(chunks: string[], delimiter = ','): Array<{ line: number; fields: string[] }> {
  const out: Array<{ line: number; fields: string[] }> = [];
  const tokenizer = new CsvTokenizer(delimiter, (fields, count, line) => out.push({ line, fields: fields.slice(0, count) }));
  for (const chunk of chunks) tokenizer.push(chunk);
  tokenizer.end();
  return out;
}

/** Every way of cutting `text` in two: a record must come out the same wherever a chunk ends. */
function everySplit(text: string): string[][] {
  return Array.from({ length: text.length + 1 }, (_, i) => [text.slice(0, i), text.slice(i)]);
}

describe('the CSV tokenizer', () => {
  it('reads quoted commas, escaped quotes, CRLF and newlines inside quotes with the line each record starts on', () => {
    const text = 'email,name\r\n"a,b@x.com","say ""hi"""\r\n"multi\nline",z\r\nlast@x.com,end';
    const expected = [
      { line: 1, fields: ['email', 'name'] },
      { line: 2, fields: ['a,b@x.com', 'say "hi"'] },
      { line: 3, fields: ['multi\nline', 'z'] },
      { line: 5, fields: ['last@x.com', 'end'] },
    ];
    for (const chunks of everySplit(text)) expect(tokenize(chunks)).toEqual(expected);
  });

  it('skips blank lines but keeps counting them, and keeps empty fields', () => {
    expect(tokenize(['a,b\n\n1,\n\r\n,2\n'])).toEqual([
      { line: 1, fields: ['a', 'b'] },
      { line: 3, fields: ['1', ''] },
      { line: 5, fields: ['', '2'] },
    ]);
  });

  it('takes another delimiter', () => {
    expect(tokenize(['a;b\n"x;y";z\n'], ';')).toEqual([
      { line: 1, fields: ['a', 'b'] },
      { line: 2, fields: ['x;y', 'z'] },
    ]);
  });

  it('refuses a quote that is never closed, naming its line', () => {
    expect(() => tokenize(['email\nok@x.com\n"broken@x.com\nmore\n'])).toThrow(/Line 3: a quoted field is never closed/);
  });

  it('refuses a record longer than the limit instead of buffering forever', () => {
    const tokenizer = new CsvTokenizer(',', () => {}, 1000);
    expect(() => tokenizer.push('email\n"' + 'x'.repeat(2000))).toThrow(/Line 2 is longer than 1000 characters/);
  });
});
