#!/usr/bin/env node
// Writes src/pinterest/types.generated.ts from fixtures/openapi/pinterest-v5-subset.json: one TS type per
// component schema, plus a map of the operations pinsync calls (request, response, rate-limit category).
// Rerun: node scripts/gen-types.mjs   (no dependencies; handles the OpenAPI features the subset uses)
//        node scripts/gen-types.mjs --check   exits 1 when the committed file is out of date
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const specFile = path.join(root, 'fixtures', 'openapi', 'pinterest-v5-subset.json');
const outFile = path.join(root, 'src', 'pinterest', 'types.generated.ts');
const spec = JSON.parse(fs.readFileSync(specFile, 'utf8'));

/** 'Pinterest.Lib.Error' → 'PinterestLibError' */
const typeName = (name) => name.replace(/[^A-Za-z0-9]+(.)?/g, (_, c) => (c ? c.toUpperCase() : ''));
const refName = (ref) => typeName(ref.split('/').pop());
const quoteKey = (key) => (/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key) ? key : JSON.stringify(key));

function docComment(text, indent) {
  if (!text) return '';
  const plain = text
    .replace(/<br\s*\/?>/gi, ' ')
    .replace(/<[^>]+>/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/\*\//g, '* /')
    .replace(/\s+/g, ' ')
    .trim();
  if (!plain) return '';
  const short = plain.length > 160 ? `${plain.slice(0, 157)}...` : plain;
  return `${indent}/** ${short} */\n`;
}

/** Schema → TS type expression. */
function tsType(schema, indent = '') {
  if (!schema) return 'unknown';
  if (schema.$ref) return refName(schema.$ref) + (schema.nullable ? ' | null' : '');
  let type;
  if (schema.allOf) {
    // `type: string, allOf: [ref]` narrows a primitive to a named enum: the ref wins.
    const parts = schema.allOf.map((part) => tsType(part, indent));
    const extra = schema.properties ? [objectType(schema, indent)] : [];
    type = [...parts, ...extra].join(' & ');
  } else if (schema.oneOf || schema.anyOf) {
    type = (schema.oneOf || schema.anyOf).map((part) => tsType(part, indent)).join(' | ');
  } else if (schema.enum) {
    type = schema.enum.map((value) => JSON.stringify(value)).join(' | ');
  } else if (schema.type === 'array') {
    const item = tsType(schema.items, indent);
    type = /[|&\s]/.test(item) && !item.startsWith('{') ? `Array<${item}>` : `${item}[]`;
  } else if (schema.type === 'object' || schema.properties) {
    type = objectType(schema, indent);
  } else if (schema.type === 'integer' || schema.type === 'number') {
    type = 'number';
  } else if (schema.type === 'string') {
    type = 'string';
  } else if (schema.type === 'boolean') {
    type = 'boolean';
  } else {
    type = 'unknown';
  }
  return schema.nullable ? `${type} | null` : type;
}

function objectType(schema, indent) {
  const properties = schema.properties ?? {};
  const keys = Object.keys(properties);
  if (keys.length === 0) return 'Record<string, unknown>';
  const required = new Set(schema.required ?? []);
  const inner = indent + '  ';
  const lines = keys.map((key) => {
    const property = properties[key];
    const optional = required.has(key) ? '' : '?';
    return `${docComment(property.description, inner)}${inner}${quoteKey(key)}${optional}: ${tsType(property, inner)};`;
  });
  // A key required here but declared in a sibling allOf part: intersecting with `unknown` makes it required.
  for (const key of required) {
    if (!(key in properties)) lines.push(`${inner}${quoteKey(key)}: unknown;`);
  }
  return `{\n${lines.join('\n')}\n${indent}}`;
}

function declaration(name, schema) {
  const doc = docComment(schema.description, '');
  const isPlainObject = !schema.allOf && !schema.enum && (schema.type === 'object' || schema.properties);
  if (isPlainObject && schema.properties) {
    return `${doc}export interface ${typeName(name)} ${objectType(schema, '')}\n`;
  }
  if (schema.allOf && schema.required) {
    // Required keys listed beside an allOf apply to the merged object.
    const merged = tsType({ ...schema, required: undefined });
    return `${doc}export type ${typeName(name)} = ${merged} & { ${schema.required.map((k) => `${quoteKey(k)}: unknown`).join('; ')} };\n`;
  }
  return `${doc}export type ${typeName(name)} = ${tsType(schema)};\n`;
}

/** A list response is Paginated + items of one schema: express it as Page<Item>. */
function responseType(schema) {
  if (!schema) return 'void';
  const parts = schema.allOf ?? [schema];
  const itemsSchema = parts.map((part) => part.properties?.items).find((items) => items?.items?.$ref);
  if (itemsSchema && (parts.some((p) => p.$ref?.endsWith('/Paginated')) || schema.properties?.bookmark)) {
    return `Page<${refName(itemsSchema.items.$ref)}>`;
  }
  return tsType(schema);
}

function resolveParameter(parameter) {
  if (!parameter.$ref) return parameter;
  return spec.components.parameters[parameter.$ref.split('/').pop()];
}

function queryType(parameters) {
  const query = parameters.map(resolveParameter).filter((p) => p.in === 'query');
  if (query.length === 0) return 'Record<string, never>';
  return `{ ${query.map((p) => `${quoteKey(p.name)}?: ${tsType(p.schema)}`).join('; ')} }`;
}

function operations() {
  const entries = [];
  const categories = [];
  for (const [route, methods] of Object.entries(spec.paths)) {
    for (const [method, operation] of Object.entries(methods)) {
      if (method === 'parameters') continue;
      const key = `${method.toUpperCase()} ${route}`;
      const body = operation.requestBody?.content;
      const bodySchema = body && Object.values(body)[0]?.schema;
      const success = operation.responses['200'] ?? operation.responses['201'];
      const responseSchema = success?.content?.['application/json']?.schema;
      const category = operation['x-ratelimit-category'] ?? 'unknown';
      categories.push(`  ${JSON.stringify(key)}: ${JSON.stringify(category)},`);
      entries.push(
        [
          `  /** ${operation.operationId}: ${(operation.summary ?? '').replace(/\*\//g, '')} */`,
          `  ${JSON.stringify(key)}: {`,
          `    query: ${queryType([...(methods.parameters ?? []), ...(operation.parameters ?? [])])};`,
          `    body: ${bodySchema ? tsType(bodySchema, '    ') : 'never'};`,
          `    response: ${responseType(responseSchema)};`,
          `    category: ${JSON.stringify(category)};`,
          `  };`,
        ].join('\n'),
      );
    }
  }
  return { entries, categories };
}

const schemas = spec.components.schemas;
const { entries, categories } = operations();
const output = [
  '// GENERATED FILE - do not edit by hand.',
  `// From fixtures/openapi/pinterest-v5-subset.json (Pinterest API ${spec.info.version}) by scripts/gen-types.mjs.`,
  '// Regenerate: node scripts/gen-types.mjs',
  '/* eslint-disable */',
  '',
  '/** One page of a bookmark-paginated list; a null or missing bookmark marks the last page. */',
  'export interface Page<T> {',
  '  items: T[];',
  '  bookmark?: string | null;',
  '}',
  '',
  ...Object.entries(schemas).map(([name, schema]) => declaration(name, schema)),
  '/** The operations pinsync calls, keyed "METHOD /path" (paths are under the API base, e.g. .../v5). */',
  'export interface Operations {',
  ...entries,
  '}',
  '',
  'export type OperationKey = keyof Operations;',
  '',
  '/** x-ratelimit-category of each operation: Pinterest limits each category separately. */',
  'export const rateLimitCategories = {',
  ...categories,
  '} as const satisfies Record<OperationKey, string>;',
  '',
].join('\n');

if (process.argv.includes('--check')) {
  const current = fs.existsSync(outFile) ? fs.readFileSync(outFile, 'utf8') : '';
  if (current !== output) {
    console.error(`${path.relative(root, outFile)} is out of date: run node scripts/gen-types.mjs`);
    process.exit(1);
  }
  console.log(`${path.relative(root, outFile)} is up to date`);
} else {
  fs.writeFileSync(outFile, output);
  console.log(`wrote ${path.relative(root, outFile)} (${Object.keys(schemas).length} schemas, ${entries.length} operations)`);
}
