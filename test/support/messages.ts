// What a failure says: the sentence a user acts on, never a stack trace or a raw SQLite error.
import { expect } from 'vitest';

export function expectOneSentence(stderr: string, sentence: RegExp): void {
  expect(stderr).toMatch(sentence);
  expect(stderr).not.toMatch(/SqliteError|unexpected error|\n\s+at /);
}
