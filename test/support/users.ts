// Generated users: user<i>@example.com, the CSV files that list them, and the SHA-256 hashes
// Pinterest should end up holding for them.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll } from 'vitest';
import { makeHome } from './home.js';

export function email(i: number): string {
  return `user${i}@example.com`;
}

export function sha256(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

/** A CSV of users from..to-1 (one email each). */
export function writeUsers(dir: string, name: string, from: number, to: number): string {
  const lines = ['email'];
  for (let i = from; i < to; i++) lines.push(email(i));
  const file = path.join(dir, name);
  fs.writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

/** The hashes of users from..to-1, as Pinterest holds them. */
export function hashesOf(from: number, to: number): Set<string> {
  const out = new Set<string>();
  for (let i = from; i < to; i++) out.add(sha256(email(i)));
  return out;
}

/** `count` distinct hashed emails (<prefix><i>@example.com), e.g. for a customer list. */
export function hashedEmails(count: number, prefix = 'user'): string[] {
  return Array.from({ length: count }, (_, i) => sha256(`${prefix}${i}@example.com`));
}

/** A CSV of users 0..count-1, written once before the file's first test; read `file` inside the tests. */
export function usersFilePerFile(count: number): { readonly file: string } {
  const fixture = { file: '' };
  beforeAll(() => {
    fixture.file = writeUsers(makeHome('pinsync-users-'), 'users.csv', 0, count);
  });
  return fixture;
}
