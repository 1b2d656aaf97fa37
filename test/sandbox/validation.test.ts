// Requests off the OpenAPI subset are answered 400 and recorded in state.violations (never with bodies).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OpenApiSpec, type Schema } from '../../src/sandbox/openapi.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.js';
import { call, createList } from '../support/sandbox-api.js';
import { hashedEmails } from '../support/users.js';
import { US } from '../support/sandbox.js';

let sandbox: Sandbox;
beforeEach(async () => {
  sandbox = await startSandbox({ port: 0, writeRate: 1000 });
});
afterEach(async () => {
  await sandbox.stop();
});

describe('spec validation', () => {
  it('records nothing for requests that follow the spec', async () => {
    const list = await createList(sandbox, hashedEmails(3));
    await call(sandbox, 'PATCH', `/ad_accounts/${US}/customer_lists/${list.id}`, {
      body: { operation_type: 'REMOVE', records: hashedEmails(1).join(',') },
    });
    await call(sandbox, 'GET', `/ad_accounts?page_size=10&include_shared_accounts=true`);
    expect(sandbox.state.violations).toEqual([]);
  });

  it('refuses a wrong enum, a wrong type and a missing field, saying where', async () => {
    const list = await createList(sandbox, hashedEmails(3));
    const path = `/ad_accounts/${US}/customer_lists/${list.id}`;
    const wrongEnum = await call(sandbox, 'PATCH', path, { body: { operation_type: 'APPEND', records: hashedEmails(1).join(',') } });
    expect(wrongEnum.status).toBe(400);
    expect(wrongEnum.body.message).toContain('body.operation_type must be one of ADD, REMOVE');
    const wrongType = await call(sandbox, 'PATCH', path, { body: { operation_type: 'ADD', records: hashedEmails(2) } });
    expect(wrongType.body.message).toContain('body.records must be a string');
    const missing = await call(sandbox, 'POST', `/ad_accounts/${US}/audiences`, { body: { name: 'x', rule: {} } });
    expect(missing.body.message).toContain('body.audience_type is required');

    expect(sandbox.state.violations).toHaveLength(3);
    expect(sandbox.state.violations[0]).toMatch(/^PATCH \/v5\/ad_accounts\/\d+\/customer_lists\/\d+: .*operation_type/);
    // Violations describe the problem, never the records.
    expect(sandbox.state.violations.join('\n')).not.toContain(hashedEmails(2)[1]);
  });

  it('refuses nested rule fields of the wrong type and bad path parameters', async () => {
    const answer = await call(sandbox, 'POST', `/ad_accounts/${US}/audiences`, {
      body: { name: 'x', audience_type: 'ACTALIKE', rule: { seed_id: 'not-an-array', country: 'US', percentage: 'five' } },
    });
    expect(answer.status).toBe(400);
    expect(answer.body.message).toContain('body.rule.seed_id must be an array');
    expect(answer.body.message).toContain('body.rule.percentage must be an integer');
    expect((await call(sandbox, 'GET', '/ad_accounts/not-digits')).status).toBe(400);
    expect(sandbox.state.violations.at(-1)).toContain('path parameter ad_account_id');
  });

  it('refuses unknown query parameters, non-JSON bodies and unknown operations', async () => {
    expect((await call(sandbox, 'GET', '/ad_accounts?pagesize=10')).status).toBe(400);
    const notJson = await call(sandbox, 'POST', `/ad_accounts/${US}/customer_lists`, { body: '{"name":', headers: { 'content-type': 'application/json' } });
    expect(notJson.status).toBe(400);
    expect((await call(sandbox, 'GET', '/boards')).status).toBe(404);
    expect((await call(sandbox, 'DELETE', `/ad_accounts/${US}`)).status).toBe(405);
    expect(sandbox.state.violations).toHaveLength(4);
  });
});

describe('the schema checker', () => {
  const spec = OpenApiSpec.load();
  const problemsOf = (schema: Schema, value: unknown) => {
    const problems: string[] = [];
    spec.checkValue(schema, value, 'body', problems);
    return problems;
  };

  it('resolves $ref and allOf, and honours nullable', () => {
    expect(problemsOf({ $ref: '#/components/schemas/CustomerListUpdateRequest' }, { operation_type: 'ADD', records: 'a' })).toEqual([]);
    expect(problemsOf({ $ref: '#/components/schemas/AudienceCreateRequest' }, { name: 'x', rule: {}, audience_type: 'NOPE' })).toEqual([
      'body.audience_type must be one of CUSTOMER_LIST, VISITOR, ENGAGEMENT, ACTALIKE, PERSONA',
    ]);
    expect(problemsOf({ type: 'string', nullable: true }, null)).toEqual([]);
    expect(problemsOf({ type: 'string' }, null)).toEqual(['body must not be null']);
  });

  it('handles oneOf, anyOf, bounds and array items', () => {
    const idOrCount: Schema = { oneOf: [{ type: 'string', pattern: '^\\d+$' }, { type: 'integer', minimum: 1 }] };
    expect(problemsOf(idOrCount, '12')).toEqual([]);
    expect(problemsOf(idOrCount, 0)).toEqual(['body must match exactly one of the allowed shapes']);
    expect(problemsOf({ anyOf: [{ type: 'string' }, { type: 'boolean' }] }, 3)).toEqual(['body matches none of the allowed shapes']);
    expect(problemsOf({ type: 'array', items: { type: 'integer', maximum: 10 } }, [1, 11])).toEqual(['body[1] must be at most 10']);
    expect(problemsOf({ type: 'object', properties: { a: { type: 'string', maxLength: 2 } }, additionalProperties: false }, { a: 'abc', b: 1 })).toEqual([
      'body.a must be at most 2 characters long',
      'body.b is not an allowed property',
    ]);
  });
});
