import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { normaliseDeviceId, normaliseEmail } from '../../src/pipeline/normalise.js';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

describe('identifier normalisation (contract: "Identifiers sent to Pinterest")', () => {
  it('trims, lowercases and hashes emails', () => {
    expect(normaliseEmail('  Jane.Doe@Example.COM ')).toBe(sha256('jane.doe@example.com'));
  });

  it('refuses implausible emails', () => {
    for (const bad of ['jane', 'jane@', '@example.com', 'jane@example', 'ja ne@example.com', 'a@b@c.com', 'jane@example.c']) {
      expect(normaliseEmail(bad), bad).toBeNull();
    }
  });

  it('passes SHA-256, SHA-1 and MD5 hex digests through lowercased', () => {
    const digests = [sha256('x').toUpperCase(), createHash('sha1').update('x').digest('hex'), createHash('md5').update('x').digest('hex')];
    for (const digest of digests) {
      expect(normaliseEmail(` ${digest} `)).toBe(digest.toLowerCase());
      expect(normaliseDeviceId(digest)).toBe(digest.toLowerCase());
    }
  });

  it('checks the UUID form of MAIDs and IDFAs, lowercases and hashes them', () => {
    expect(normaliseDeviceId(' 6D92078A-8246-4BA4-AE5B-76104861E7DC ')).toBe(sha256('6d92078a-8246-4ba4-ae5b-76104861e7dc'));
    for (const bad of ['6D92078A82464BA4AE5B76104861E7DCXX', 'not-a-uuid', '6D92078A-8246-4BA4-AE5B-76104861E7DG']) {
      expect(normaliseDeviceId(bad), bad).toBeNull();
    }
  });
});
