// The sandbox's view of the trimmed Pinterest OpenAPI subset: finds the operation for a request and
// checks its path, query and body against the spec with a small validator for the schema features used.
import { readFileSync } from 'node:fs';

export interface Schema {
  $ref?: string;
  type?: string;
  nullable?: boolean;
  enum?: unknown[];
  required?: string[];
  properties?: Record<string, Schema>;
  additionalProperties?: boolean | Schema;
  items?: Schema;
  allOf?: Schema[];
  oneOf?: Schema[];
  anyOf?: Schema[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: boolean | number;
  exclusiveMaximum?: boolean | number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  pattern?: string;
  default?: unknown;
}

interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  schema?: Schema;
}

interface SpecOperation {
  operationId?: string;
  parameters?: Array<Parameter | { $ref: string }>;
  requestBody?: { required?: boolean; content?: Record<string, { schema?: Schema }> };
  security?: Array<Record<string, string[]>>;
  'x-ratelimit-category'?: string;
}

interface SpecDocument {
  paths: Record<string, Record<string, SpecOperation>>;
  components: { schemas: Record<string, Schema>; parameters: Record<string, Parameter> };
}

export interface Operation {
  method: string;
  template: string;
  operationId: string;
  /** Pinterest's rate-limit category, e.g. ads_read or ads_write. */
  category: string;
  /** OAuth scopes the operation needs (empty for the token endpoint, which uses HTTP Basic). */
  scopes: string[];
  parameters: Parameter[];
  bodySchema?: Schema;
  bodyMediaType?: string;
  bodyRequired: boolean;
  regex: RegExp;
  pathParamNames: string[];
}

export type RouteMatch =
  | { kind: 'found'; operation: Operation; pathParams: Record<string, string> }
  | { kind: 'method_not_allowed'; allowed: string[] }
  | { kind: 'not_found' };

const SPEC_URL = new URL('../../fixtures/openapi/pinterest-v5-subset.json', import.meta.url);

export class OpenApiSpec {
  readonly operations: Operation[];

  private constructor(private readonly document: SpecDocument) {
    this.operations = buildOperations(document, (ref) => this.resolveParameter(ref));
  }

  static load(): OpenApiSpec {
    return new OpenApiSpec(JSON.parse(readFileSync(SPEC_URL, 'utf8')) as SpecDocument);
  }

  /** `path` is relative to the API root, e.g. `/ad_accounts/1/audiences`. */
  match(method: string, path: string): RouteMatch {
    const allowed: string[] = [];
    for (const operation of this.operations) {
      const found = operation.regex.exec(path);
      if (!found) continue;
      if (operation.method !== method) {
        allowed.push(operation.method);
        continue;
      }
      const pathParams: Record<string, string> = {};
      operation.pathParamNames.forEach((name, i) => {
        pathParams[name] = safeDecode(found[i + 1] ?? '');
      });
      return { kind: 'found', operation, pathParams };
    }
    return allowed.length > 0 ? { kind: 'method_not_allowed', allowed } : { kind: 'not_found' };
  }

  /** Checks path and query parameters; unknown query parameters are off the spec too. */
  checkParameters(operation: Operation, pathParams: Record<string, string>, query: URLSearchParams): string[] {
    const problems: string[] = [];
    const known = new Set<string>();
    for (const parameter of operation.parameters) {
      if (parameter.in === 'path') {
        this.checkValue(parameter.schema, pathParams[parameter.name] ?? '', `path parameter ${parameter.name}`, problems);
      } else if (parameter.in === 'query') {
        known.add(parameter.name);
        const raw = query.get(parameter.name);
        if (raw === null) {
          if (parameter.required) problems.push(`query parameter ${parameter.name} is required`);
          continue;
        }
        const value = coerceQueryValue(raw, this.resolve(parameter.schema));
        this.checkValue(parameter.schema, value, `query parameter ${parameter.name}`, problems);
      }
    }
    for (const name of new Set(query.keys())) {
      if (!known.has(name)) problems.push(`query parameter ${name} is not in the spec`);
    }
    return problems;
  }

  /**
   * Checks a parsed body (JSON value, or an object of strings for a form) against the operation's schema.
   * `closed`: a JSON body may hold only the properties its schema names (strict API 5.28).
   */
  checkBody(operation: Operation, body: unknown, { closed = false } = {}): string[] {
    const problems: string[] = [];
    if (body === undefined) {
      if (operation.bodyRequired) problems.push('a request body is required');
      return problems;
    }
    if (!operation.bodySchema) {
      problems.push('this operation takes no request body');
      return problems;
    }
    this.checkValue(operation.bodySchema, body, 'body', problems);
    if (closed && isPlainObject(body) && operation.bodyMediaType === 'application/json') {
      const named = this.propertyNames(operation.bodySchema);
      for (const key of Object.keys(body)) if (!named.has(key)) problems.push(`body.${key} is not a property of this request`);
    }
    return problems;
  }

  /** The properties a schema names, its allOf parts' included. */
  private propertyNames(schema: Schema | undefined): Set<string> {
    const resolved = this.resolve(schema);
    const names = new Set(Object.keys(resolved?.properties ?? {}));
    for (const part of resolved?.allOf ?? []) for (const name of this.propertyNames(part)) names.add(name);
    return names;
  }

  checkValue(schema: Schema | undefined, value: unknown, at: string, problems: string[]): void {
    if (!schema) return;
    validateAgainst(schema, value, at, problems, (ref) => this.resolveSchemaRef(ref));
  }

  private resolve(schema: Schema | undefined): Schema | undefined {
    let current = schema;
    while (current?.$ref) current = this.resolveSchemaRef(current.$ref);
    return current;
  }

  private resolveSchemaRef(ref: string): Schema {
    const name = ref.replace('#/components/schemas/', '');
    const schema = this.document.components.schemas[name];
    if (!schema) throw new Error(`The OpenAPI subset has no schema ${name}.`);
    return schema;
  }

  private resolveParameter(ref: string): Parameter {
    const name = ref.replace('#/components/parameters/', '');
    const parameter = this.document.components.parameters[name];
    if (!parameter) throw new Error(`The OpenAPI subset has no parameter ${name}.`);
    return parameter;
  }
}

function buildOperations(document: SpecDocument, resolveParameter: (ref: string) => Parameter): Operation[] {
  const operations: Operation[] = [];
  for (const [template, methods] of Object.entries(document.paths)) {
    const pathParamNames = [...template.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!);
    const regex = new RegExp('^' + template.split(/\{[^}]+\}/).map(escapeRegex).join('([^/]+)') + '$');
    for (const [method, spec] of Object.entries(methods)) {
      if (typeof spec !== 'object' || spec === null || !('responses' in spec)) continue;
      const [mediaType, content] = Object.entries(spec.requestBody?.content ?? {})[0] ?? [];
      operations.push({
        method: method.toUpperCase(),
        template,
        operationId: spec.operationId ?? `${method} ${template}`,
        category: spec['x-ratelimit-category'] ?? 'org_read',
        scopes: spec.security?.find((entry) => 'pinterest_oauth2' in entry)?.pinterest_oauth2 ?? [],
        parameters: (spec.parameters ?? []).map((p) => ('$ref' in p ? resolveParameter(p.$ref) : p)),
        bodySchema: content?.schema,
        bodyMediaType: mediaType,
        bodyRequired: Boolean(spec.requestBody?.required),
        regex,
        pathParamNames,
      });
    }
  }
  return operations;
}

/** The JSON-schema subset the Pinterest spec uses: $ref, allOf/oneOf/anyOf, type, nullable, enum, bounds. */
function validateAgainst(
  schemaOrRef: Schema,
  value: unknown,
  at: string,
  problems: string[],
  resolveRef: (ref: string) => Schema,
): void {
  const schema = schemaOrRef.$ref ? resolveRef(schemaOrRef.$ref) : schemaOrRef;
  if (schema.$ref) return validateAgainst(schema, value, at, problems, resolveRef);
  if (value === null) {
    if (!schema.nullable && (schema.type || schema.enum)) problems.push(`${at} must not be null`);
    return;
  }
  for (const part of schema.allOf ?? []) validateAgainst(part, value, at, problems, resolveRef);
  if (schema.anyOf && !schema.anyOf.some((part) => passes(part, value, resolveRef))) {
    problems.push(`${at} matches none of the allowed shapes`);
  }
  if (schema.oneOf && schema.oneOf.filter((part) => passes(part, value, resolveRef)).length !== 1) {
    problems.push(`${at} must match exactly one of the allowed shapes`);
  }
  if (schema.type && !hasType(value, schema.type)) {
    problems.push(`${at} must be ${article(schema.type)} ${schema.type}`);
    return;
  }
  // Values are never echoed: a wrong value might be a user's identifier.
  if (schema.enum && !schema.enum.includes(value)) problems.push(`${at} must be one of ${schema.enum.join(', ')}`);
  if (typeof value === 'string') checkString(schema, value, at, problems);
  if (typeof value === 'number') checkNumber(schema, value, at, problems);
  if (Array.isArray(value)) checkArray(schema, value, at, problems, resolveRef);
  else if (isPlainObject(value)) checkObject(schema, value, at, problems, resolveRef);
}

function passes(schema: Schema, value: unknown, resolveRef: (ref: string) => Schema): boolean {
  const problems: string[] = [];
  validateAgainst(schema, value, '', problems, resolveRef);
  return problems.length === 0;
}

function checkString(schema: Schema, value: string, at: string, problems: string[]): void {
  if (schema.minLength !== undefined && value.length < schema.minLength) {
    problems.push(`${at} must be at least ${schema.minLength} characters long`);
  }
  if (schema.maxLength !== undefined && value.length > schema.maxLength) {
    problems.push(`${at} must be at most ${schema.maxLength} characters long`);
  }
  if (schema.pattern !== undefined && !new RegExp(schema.pattern).test(value)) {
    problems.push(`${at} must match the pattern ${schema.pattern}`);
  }
}

function checkNumber(schema: Schema, value: number, at: string, problems: string[]): void {
  if (schema.minimum !== undefined) {
    const exclusive = schema.exclusiveMinimum === true;
    if (exclusive ? value <= schema.minimum : value < schema.minimum) {
      problems.push(`${at} must be ${exclusive ? 'greater than' : 'at least'} ${schema.minimum}`);
    }
  }
  if (schema.maximum !== undefined) {
    const exclusive = schema.exclusiveMaximum === true;
    if (exclusive ? value >= schema.maximum : value > schema.maximum) {
      problems.push(`${at} must be ${exclusive ? 'less than' : 'at most'} ${schema.maximum}`);
    }
  }
}

function checkArray(
  schema: Schema,
  value: unknown[],
  at: string,
  problems: string[],
  resolveRef: (ref: string) => Schema,
): void {
  if (schema.minItems !== undefined && value.length < schema.minItems) {
    problems.push(`${at} must have at least ${schema.minItems} items`);
  }
  if (schema.maxItems !== undefined && value.length > schema.maxItems) {
    problems.push(`${at} must have at most ${schema.maxItems} items`);
  }
  if (schema.items) value.forEach((item, i) => validateAgainst(schema.items!, item, `${at}[${i}]`, problems, resolveRef));
}

function checkObject(
  schema: Schema,
  value: Record<string, unknown>,
  at: string,
  problems: string[],
  resolveRef: (ref: string) => Schema,
): void {
  for (const key of schema.required ?? []) {
    if (value[key] === undefined) problems.push(`${at}.${key} is required`);
  }
  for (const [key, item] of Object.entries(value)) {
    const property = schema.properties?.[key];
    if (property) validateAgainst(property, item, `${at}.${key}`, problems, resolveRef);
    else if (schema.additionalProperties === false) problems.push(`${at}.${key} is not an allowed property`);
  }
}

function hasType(value: unknown, type: string): boolean {
  switch (type) {
    case 'object':
      return isPlainObject(value);
    case 'array':
      return Array.isArray(value);
    case 'string':
      return typeof value === 'string';
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value);
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'boolean':
      return typeof value === 'boolean';
    default:
      return true;
  }
}

function coerceQueryValue(raw: string, schema: Schema | undefined): unknown {
  if (schema?.type === 'integer' || schema?.type === 'number') {
    return /^-?\d+(\.\d+)?$/.test(raw) ? Number(raw) : raw;
  }
  if (schema?.type === 'boolean') return raw === 'true' ? true : raw === 'false' ? false : raw;
  return raw;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function article(type: string): string {
  return /^[aeiou]/.test(type) ? 'an' : 'a';
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
