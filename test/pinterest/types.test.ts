// types.generated.ts is the generator's output for the committed OpenAPI subset, untouched by hand.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { rateLimitCategories } from '../../src/pinterest/types.generated.js';
import { repoRoot } from '../support/cli.js';

describe('types.generated.ts', () => {
  it('matches what scripts/gen-types.mjs makes from fixtures/openapi', () => {
    const out = execFileSync(process.execPath, [path.join(repoRoot, 'scripts', 'gen-types.mjs'), '--check'], { encoding: 'utf8' });
    expect(out).toMatch(/up to date/);
  });

  it('knows which rate-limit category each write belongs to', () => {
    expect(rateLimitCategories['PATCH /ad_accounts/{ad_account_id}/customer_lists/{customer_list_id}']).toBe('ads_write');
    expect(rateLimitCategories['GET /ad_accounts/{ad_account_id}/audiences']).toBe('ads_read');
  });
});
