/**
 * The OpenAPI document as `npm start` serves it: valid OpenAPI 3.1 (an independent validator), only
 * the API's routes (the viewer's files and the embedded DICOMweb hidden), tags everywhere, every status
 * an operation can answer, and every example in it valid against its own schema. The contract's own
 * examples are checked against the TypeBox schemas too.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Value } from '@sinclair/typebox/value';
import Ajv2020 from 'ajv/dist/2020';
import { ERRORS } from '../../../contract/examples';
import { RerankAnswer, RerankBody, SCHEMAS } from '../../../contract/schemas';

const ROOT = path.resolve(__dirname, '..', '..', '..');

type Json = Record<string, unknown>;
interface Operation {
  tags?: string[];
  security?: unknown[];
  requestBody?: { content: Record<string, MediaType> };
  responses: Record<string, { description?: string; content?: Record<string, MediaType> }>;
}
interface MediaType {
  schema?: Json;
  example?: unknown;
  examples?: Record<string, { value: unknown }>;
}

let dir: string;
let doc: { openapi: string; paths: Record<string, Record<string, Operation>>; tags: Array<{ name: string }> };

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'sf-openapi-'));
  // A viewer folder, so that its routes are registered (and must stay out of the document).
  mkdirViewer(path.join(dir, 'viewer'));
  const out = path.join(dir, 'openapi.json');
  execFileSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts', 'openapi.ts'), '--viewer-dist', path.join(dir, 'viewer'), '--out', out], {
    cwd: ROOT,
    stdio: 'pipe',
    timeout: 120_000,
  });
  doc = JSON.parse(readFileSync(out, 'utf8')) as typeof doc;
}, 150_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function mkdirViewer(viewer: string): void {
  mkdirSync(viewer, { recursive: true });
  writeFileSync(path.join(viewer, 'index.html'), '<!doctype html><html><head></head><body><script>window.x=1</script></body></html>');
}

const operations = (): Array<[string, string, Operation]> =>
  Object.entries(doc.paths).flatMap(([p, ops]) => Object.entries(ops).map(([m, op]) => [p, m, op] as [string, string, Operation]));

test('the document is valid OpenAPI 3.1 (@seriousme/openapi-schema-validator)', () => {
  const script = [
    "import { Validator } from '@seriousme/openapi-schema-validator';",
    "import { readFileSync } from 'node:fs';",
    'const v = new Validator();',
    'const r = await v.validate(JSON.parse(readFileSync(process.argv[1], "utf8")));',
    'process.stdout.write(JSON.stringify({ valid: r.valid, version: v.version, errors: r.errors }));',
  ].join('\n');
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script, path.join(dir, 'openapi.json')], { cwd: ROOT, encoding: 'utf8' });
  const result = JSON.parse(out) as { valid: boolean; version: string; errors?: unknown };
  expect(result.errors).toBeUndefined();
  expect(result).toMatchObject({ valid: true, version: '3.1' });
});

test('only the API is documented: the viewer, its config, the extension and the embedded DICOMweb are hidden', () => {
  expect(Object.keys(doc.paths).sort()).toEqual(
    ['/api/v1/models', '/api/v1/reports', '/api/v1/rerank', '/api/v1/rerank/stream', '/api/v1/series', '/api/v1/series/prepare', '/healthz', '/metrics', '/readyz'].sort(),
  );
});

test('every operation has a tag, a summary and the statuses it can answer', () => {
  const tagNames = new Set(doc.tags.map((t) => t.name));
  for (const [p, m, op] of operations()) {
    expect({ p, m, tags: op.tags?.every((t) => tagNames.has(t)) && (op.tags?.length ?? 0) > 0 }).toEqual({ p, m, tags: true });
    const statuses = Object.keys(op.responses);
    const open = p === '/healthz' || p === '/readyz';
    if (open) expect(op.security).toEqual([]);
    else for (const s of ['401', '403', '429']) expect({ p, s, has: statuses.includes(s) }).toEqual({ p, s, has: true });
    for (const [status, r] of Object.entries(op.responses)) expect({ p, status, described: (r.description ?? '').length > 3 }).toEqual({ p, status, described: true });
  }
  for (const p of ['/api/v1/rerank', '/api/v1/rerank/stream']) {
    expect(Object.keys(doc.paths[p].post.responses).sort()).toEqual(
      ['200', '400', '401', '403', '404', '413', '415', '422', '429', '502', '503', '504'].sort(),
    );
  }
  expect(Object.keys(doc.paths['/api/v1/series'].post.responses)).toEqual(expect.arrayContaining(['201', '413', '415', '422']));
  // Saving a report: 201 with the new UIDs, unknown lesions 404, nowhere to save 409, the PACS refusing 502.
  expect(Object.keys(doc.paths['/api/v1/reports'].post.responses)).toEqual(expect.arrayContaining(['201', '400', '404', '409', '502']));
  expect(doc.paths['/api/v1/reports'].post.tags).toEqual(['Reports']);
  expect(Object.keys(doc.paths['/api/v1/series'].post.requestBody?.content ?? {})).toEqual(['multipart/form-data']);
  expect(Object.keys(doc.paths['/api/v1/rerank/stream'].post.responses['200'].content ?? {})).toEqual(['application/x-ndjson']);
});

test('every example in the document passes its schema, and the request example is a real one', () => {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  let checked = 0;
  const check = (schema: Json, example: unknown, where: string): void => {
    const validate = ajv.compile(schema);
    const ok = validate(example);
    expect({ where, errors: ok ? null : validate.errors }).toEqual({ where, errors: null });
    checked++;
  };
  /** Schemas nested anywhere that carry an `examples` array. */
  const walk = (node: unknown, where: string): void => {
    if (!node || typeof node !== 'object') return;
    if (Array.isArray(node)) return node.forEach((n, i) => walk(n, `${where}[${i}]`));
    const o = node as Json;
    if (Array.isArray(o.examples) && (o.type !== undefined || o.anyOf !== undefined || o.properties !== undefined)) {
      (o.examples as unknown[]).forEach((e, i) => check(o, e, `${where}.examples[${i}]`));
    }
    for (const [k, v] of Object.entries(o)) if (k !== 'examples' && k !== 'example') walk(v, `${where}.${k}`);
  };
  for (const [p, m, op] of operations()) {
    const media = [
      ...Object.entries(op.requestBody?.content ?? {}).map(([t, mt]) => [`${p} ${m} request ${t}`, mt] as const),
      ...Object.entries(op.responses).flatMap(([s, r]) => Object.entries(r.content ?? {}).map(([t, mt]) => [`${p} ${m} ${s} ${t}`, mt] as const)),
    ];
    for (const [where, mt] of media) {
      if (!mt.schema) continue;
      if (mt.example !== undefined) check(mt.schema, mt.example, `${where} example`);
      for (const [name, e] of Object.entries(mt.examples ?? {})) check(mt.schema, e.value, `${where} examples.${name}`);
      walk(mt.schema, where);
    }
  }
  expect(checked).toBeGreaterThan(40);
  const rerank = doc.paths['/api/v1/rerank'].post;
  const request = rerank.requestBody?.content['application/json'].example as Json;
  expect(request.preset).toBe('report-match');
  expect(request.minScore).toBe(0);
  expect(String(request.query)).toContain('nodule');
  const answer = rerank.responses['200'].content?.['application/json'].example as Json;
  expect((answer.findings as unknown[]).length).toBe(2);
  for (const s of ['413', '415', '422', '429', '502', '504']) {
    expect(rerank.responses[s].content?.['application/json'].example).toEqual(ERRORS[Number(s) as keyof typeof ERRORS]);
  }
});

test('the contract’s own examples pass their TypeBox schemas', () => {
  let checked = 0;
  for (const [name, schema] of Object.entries(SCHEMAS)) {
    for (const e of (schema.examples as unknown[] | undefined) ?? []) {
      expect({ name, errors: [...Value.Errors(schema, e)].map((x) => `${x.path} ${x.message}`) }).toEqual({ name, errors: [] });
      checked++;
    }
  }
  expect(checked).toBeGreaterThanOrEqual(8);
  expect(Value.Check(RerankBody, RerankBody.examples[0])).toBe(true);
  expect(Value.Check(RerankAnswer, RerankAnswer.examples[0])).toBe(true);
});
