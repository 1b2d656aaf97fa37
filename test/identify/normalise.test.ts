import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isBlank, isHexDigest, isSha256Hex, normaliseDeviceId, normaliseEmail, OPTED_OUT } from '../../src/identify/normalise.js';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

describe('identifier normalisation (contract: "Identifiers sent to Pinterest")', () => {
  it('trims, lowercases and hashes emails', () => {
    expect(normaliseEmail('  Jane.Doe@Example.COM ')).toBe(sha256('jane.doe@example.com'));
  });

  it('refuses implausible emails', () => {
    for (const bad of ['jane', 'jane@', '@example.com', 'jane@example', 'ja ne@example.com', 'a@b@c.com', 'jane@example.c', 'mailto:']) {
      expect(normaliseEmail(bad), bad).toBeNull();
    }
  });

  it('strips a leading mailto: in any case and Unicode format characters before checking', () => {
    const expected = sha256('jane@example.com');
    for (const raw of ['mailto:jane@example.com', 'MailTo:Jane@Example.com', ' MAILTO: jane@example.com ', '\uFEFFjane@example.com', 'ja\u200Bne@exam\u00ADple.com\u200D', '\u2060 jane@example.com \u200B']) {
      expect(normaliseEmail(raw), JSON.stringify(raw)).toBe(expected);
    }
  });

  it('passes SHA-256, SHA-1 and MD5 hex digests through lowercased in an email column', () => {
    const digests = [sha256('x').toUpperCase(), createHash('sha1').update('x').digest('hex'), createHash('md5').update('x').digest('hex')];
    for (const digest of digests) expect(normaliseEmail(` ${digest}\u200B `)).toBe(digest.toLowerCase());
  });

  it('takes only 32, 40 or 64 hex digits of either case for a digest (the scan agrees with the pattern it replaced)', () => {
    const pattern = /^(?:[0-9a-f]{32}|[0-9a-f]{40}|[0-9a-f]{64})$/i;
    const digest = sha256('x');
    const candidates = [digest, digest.toUpperCase(), digest.slice(0, 40), digest.slice(0, 32), digest.slice(0, 63), digest + '0', '', 'g'.repeat(32)];
    // One character swapped at each end and in the middle: a letter past f, a neighbour of the digit and letter ranges, non-ASCII.
    for (const at of [0, 31, 63]) for (const bad of ['g', 'G', '/', ':', '@', '`', '\u0130', '\uFF10', '\u0660']) candidates.push(digest.slice(0, at) + bad + digest.slice(at + 1));
    for (const value of candidates) {
      expect(isHexDigest(value), JSON.stringify(value)).toBe(pattern.test(value));
      expect(isSha256Hex(value), JSON.stringify(value)).toBe(/^[0-9a-f]{64}$/i.test(value));
    }
  });

  it('passes only a SHA-256 through in a device-id column', () => {
    const digest = sha256('x').toUpperCase();
    expect(normaliseDeviceId(digest)).toBe(digest.toLowerCase());
    expect(normaliseDeviceId(createHash('sha1').update('x').digest('hex'))).toBeNull();
  });

  it('checks the UUID form of MAIDs and IDFAs, lowercases and hashes them', () => {
    expect(normaliseDeviceId(' 6D92078A-8246-4BA4-AE5B-76104861E7DC\u200B ')).toBe(sha256('6d92078a-8246-4ba4-ae5b-76104861e7dc'));
    for (const bad of ['6D92078A82464BA4AE5B76104861E7DCXX', 'not-a-uuid', '6D92078A-8246-4BA4-AE5B-76104861E7DG', '6D92078A82464BA4AE5B76104861E7D']) {
      expect(normaliseDeviceId(bad), bad).toBeNull();
    }
  });

  it('takes 32 hex digits in a device-id column for an undashed UUID, never for an MD5 (raw MAIDs must not leave unhashed)', () => {
    expect(normaliseDeviceId('6D92078A82464BA4AE5B76104861E7DC')).toBe(sha256('6d92078a-8246-4ba4-ae5b-76104861e7dc'));
  });

  it('does not sync the all-zero UUID, dashed or not', () => {
    expect(normaliseDeviceId('00000000-0000-0000-0000-000000000000')).toBe(OPTED_OUT);
    expect(normaliseDeviceId(' 00000000000000000000000000000000 ')).toBe(OPTED_OUT);
  });

  it('counts a value of only spaces and format characters as blank', () => {
    expect(isBlank('\u200B \uFEFF')).toBe(true);
    expect(isBlank('\u00A0')).toBe(true);
    expect(isBlank('\u200Ba')).toBe(false);
    expect(isBlank('a')).toBe(false);
  });
});
