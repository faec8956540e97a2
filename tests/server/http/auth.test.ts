/**
 * Who gets in: static bearer tokens, JWTs against a local JWKS file (generated here with jose), the
 * loopback-only default, CORS allowlist and rate limit; and which credential reaches the PACS.
 */
import { createServer, type Server } from 'node:http';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { exportJWK, generateKeyPair, SignJWT, type KeyLike } from 'jose';
import { ConfigError, loadConfig } from '../../../server/config';
import { indexFolder } from '../../../server/dicomweb/folder-index';
import { dicomwebPlugin } from '../../../server/dicomweb/plugin';
import { buildApp } from '../../../server/http/app';
import { SAMPLE_DICOM_DIR } from '../../../server/series/sample';
import { formData, http, LineCapture, listen, testConfig } from './helpers';

const TOKEN = 'ris-token-0123456789abcdef';
const ISSUER = 'https://idp.hospital.test/realms/radiology';
const AUDIENCE = 'slice-finder';

let dir: string;
let jwksFile: string;
let signingKey: KeyLike;
let otherKey: KeyLike;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'sf-auth-'));
  const pair = await generateKeyPair('ES256');
  signingKey = pair.privateKey;
  otherKey = (await generateKeyPair('ES256')).privateKey;
  const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
  jwksFile = path.join(dir, 'jwks.json');
  writeFileSync(jwksFile, JSON.stringify({ keys: [jwk] }));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** `exp: null` leaves the expiry out. */
function jwt(opts: { sub?: string; iss?: string; aud?: string; exp?: string | number | null; key?: KeyLike } = {}): Promise<string> {
  const signer = new SignJWT({})
    .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
    .setSubject(opts.sub ?? 'dr-house')
    .setIssuer(opts.iss ?? ISSUER)
    .setAudience(opts.aud ?? AUDIENCE)
    .setIssuedAt();
  if (opts.exp !== null) signer.setExpirationTime(opts.exp ?? '5m');
  return signer.sign(opts.key ?? signingKey);
}

describe('refuses to start exposed without auth', () => {
  it('binds loopback by default', () => {
    expect(loadConfig([], {}).host).toBe('127.0.0.1');
  });

  it('rejects a non-loopback host without tokens or JWT', async () => {
    await expect(buildApp(testConfig((c) => (c.host = '0.0.0.0')))).rejects.toThrow(ConfigError);
    await expect(buildApp(testConfig((c) => (c.host = '192.168.1.20')))).rejects.toThrow(/refusing/);
  });

  it('reads tokens and JWT settings from the environment, and rejects short tokens', () => {
    const c = loadConfig(['--host', '0.0.0.0'], { SLICE_FINDER_TOKENS: `ris:${TOKEN}` });
    expect(c.auth.tokens).toEqual([{ name: 'ris', token: TOKEN }]);
    expect(() => loadConfig([], { SLICE_FINDER_TOKENS: 'short' })).toThrow(ConfigError);
    expect(() => loadConfig([], { SLICE_FINDER_JWT_ISSUER: ISSUER })).toThrow(/JWKS/);
  });
});

describe('bearer tokens', () => {
  let app: FastifyInstance;
  let origin: string;
  let pacs: Server;
  const pacsSaw: Array<string | undefined> = [];

  beforeAll(async () => {
    pacs = createServer((req, res) => {
      pacsSaw.push(req.headers.authorization);
      res.writeHead(404).end();
    });
    await new Promise<void>((r) => pacs.listen(0, '127.0.0.1', r));
    const addr = pacs.address();
    const root = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}/dicom-web`;
    app = await buildApp(
      testConfig((c) => {
        c.host = '0.0.0.0'; // allowed: auth is on
        c.auth.tokens = [{ name: 'ris', token: TOKEN }];
        c.pacs.url = root;
        c.pacs.allow = [root];
        c.cors.origins = ['https://viewer.hospital.test'];
      }),
      { logStream: new LineCapture(), auditStream: new LineCapture() },
    );
    origin = await listen(app);
  });

  afterAll(async () => {
    await app.close();
    await new Promise((r) => pacs.close(r));
  });

  it('401 without a token or with a wrong one; 200 with it', async () => {
    const none = await http(origin, { url: '/api/v1/models' });
    expect(none.statusCode).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer');
    expect(none.json()).toMatchObject({ statusCode: 401, code: 'unauthorized' });
    expect((await http(origin, { url: '/api/v1/models', headers: { authorization: `Bearer ${TOKEN}x` } })).statusCode).toBe(401);
    expect((await http(origin, { url: '/api/v1/models', headers: { authorization: `Basic ${TOKEN}` } })).statusCode).toBe(401);
    expect((await http(origin, { url: '/metrics' })).statusCode).toBe(401);
    const ok = await http(origin, { url: '/api/v1/models', headers: { authorization: `Bearer ${TOKEN}` } });
    expect(ok.statusCode).toBe(200);
    expect((ok.json() as { models: unknown[] }).models.length).toBeGreaterThan(0);
  });

  it('keeps health public', async () => {
    expect((await http(origin, { url: '/healthz' })).statusCode).toBe(200);
  });

  it('never sends its own token to the PACS', async () => {
    const res = await http(origin, {
      method: 'POST',
      url: '/api/v1/rerank',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      payload: JSON.stringify({
        query: 'nodule',
        series: { source: 'dicomweb', studyInstanceUID: '1.2.3', seriesInstanceUID: '1.2.3.4', sopInstanceUIDs: ['1.2.3.4.5'] },
      }),
    });
    expect(res.statusCode).toBe(404); // what the PACS said
    expect(pacsSaw).toEqual([undefined]);
  });

  it('answers CORS only for allowed origins', async () => {
    const pre = (o: string) =>
      http(origin, {
        method: 'OPTIONS',
        url: '/api/v1/rerank',
        headers: { origin: o, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,authorization' },
      });
    const allowed = await pre('https://viewer.hospital.test');
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://viewer.hospital.test');
    const denied = await pre('https://evil.example');
    expect(denied.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('sets security headers', async () => {
    const res = await http(origin, { url: '/healthz' });
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('x-frame-options')).toBe('SAMEORIGIN');
    expect(res.headers.get('content-security-policy')).toBe("default-src 'none'; frame-ancestors 'none'");
    const denied = await http(origin, { url: '/api/v1/models' }); // errors too
    expect(denied.headers.get('content-security-policy')).toBe("default-src 'none'; frame-ancestors 'none'");
  });
});

describe('JWT against a local JWKS file', () => {
  let app: FastifyInstance;
  let origin: string;
  const audit = new LineCapture();

  beforeAll(async () => {
    app = await buildApp(
      testConfig((c) => {
        c.auth.jwt = { issuer: ISSUER, jwksFile, audience: AUDIENCE };
      }),
      { logStream: new LineCapture(), auditStream: audit },
    );
    origin = await listen(app);
  });

  afterAll(async () => {
    await app.close();
  });

  const models = async (token: string) =>
    (await http(origin, { url: '/api/v1/models', headers: { authorization: `Bearer ${token}` } })).statusCode;

  it('accepts a token of the issuer, signed by a key of the JWKS', async () => {
    expect(await models(await jwt())).toBe(200);
  });

  it('rejects another issuer, another audience, an expired token, another key, garbage', async () => {
    expect(await models(await jwt({ iss: 'https://elsewhere.test' }))).toBe(401);
    expect(await models(await jwt({ aud: 'other-app' }))).toBe(401);
    expect(await models(await jwt({ exp: Math.floor(Date.now() / 1000) - 3600 }))).toBe(401);
    expect(await models(await jwt({ key: otherKey }))).toBe(401);
    expect(await models('not.a.jwt')).toBe(401);
    const unsigned = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify({ iss: ISSUER, aud: AUDIENCE, sub: 'x' })).toString('base64url')}.`;
    expect(await models(unsigned)).toBe(401);
  });

  it('rejects a token without exp; allows a small clock skew on exp', async () => {
    expect(await models(await jwt({ exp: null }))).toBe(401);
    expect(await models(await jwt({ exp: Math.floor(Date.now() / 1000) - 10 }))).toBe(200);
    expect(await models(await jwt({ exp: Math.floor(Date.now() / 1000) - 120 }))).toBe(401);
  });

  it('audits the JWT subject for a rerank', async () => {
    const token = await jwt({ sub: 'dr-cameron' });
    const files = readdirSync(SAMPLE_DICOM_DIR).sort().slice(70, 82);
    const { body, contentType } = formData(files.map((f) => ({ name: f, data: readFileSync(path.join(SAMPLE_DICOM_DIR, f)) })));
    const up = await http(origin, {
      method: 'POST',
      url: '/api/v1/series',
      headers: { authorization: `Bearer ${token}`, 'content-type': contentType },
      payload: body,
    });
    expect(up.statusCode).toBe(201);
    const { seriesInstanceUID } = up.json() as { seriesInstanceUID: string };
    const res = await http(origin, {
      method: 'POST',
      url: '/api/v1/rerank',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      payload: JSON.stringify({ query: 'solid nodule', series: { source: 'local', seriesInstanceUID } }),
    });
    expect(res.statusCode).toBe(200);
    const line = audit.json().pop()!;
    expect(line).toMatchObject({ user: 'dr-cameron', slices: 12, type: 'rerank' });
    expect(line.series).not.toBe(seriesInstanceUID);
    expect(typeof line.queryHash).toBe('string');
    expect(typeof line.latencyMs).toBe('number');
  }, 60_000);
});

describe('auth is decided on the matched route, deny by default', () => {
  let app: FastifyInstance;
  let origin: string;
  const auth = { authorization: `Bearer ${TOKEN}` };

  beforeAll(async () => {
    const index = await indexFolder(SAMPLE_DICOM_DIR);
    app = await buildApp(
      testConfig((c) => {
        c.host = '0.0.0.0';
        c.auth.tokens = [{ name: 'ris', token: TOKEN }];
      }),
      { folderIndex: index, logStream: new LineCapture(), auditStream: new LineCapture() },
    );
    // As `npm start` mounts it: the embedded DICOMweb carries patient names.
    await app.register(dicomwebPlugin, { prefix: '/dicom-web', index });
    origin = await listen(app);
  }, 60_000);

  afterAll(async () => {
    await app.close();
  });

  it.each([
    ['GET', '/%61pi/v1/models'],
    ['GET', '/api/v1/%6dodels'],
    ['GET', '/%6detrics'],
    ['GET', '/%64icom-web/studies'],
    ['GET', '/dicom-web/studies'],
    ['GET', '/dicom-web/%73tudies'],
    ['POST', '/%61pi/v1/rerank'],
    ['POST', '/%61pi/v1/series/prepare'],
  ])('%s %s without a token → 401', async (method, url) => {
    const res = await http(origin, { method, url, headers: { 'content-type': 'application/json' }, payload: method === 'POST' ? '{}' : undefined });
    expect(res.statusCode).toBe(401);
    expect(res.body).not.toContain('PatientName');
    expect(res.body).not.toMatch(/"00100010"/);
  });

  it('an upload through an encoded path without a token → 401, nothing stored', async () => {
    const files = readdirSync(SAMPLE_DICOM_DIR).sort().slice(40, 52);
    const { body, contentType } = formData(files.map((f) => ({ name: f, data: readFileSync(path.join(SAMPLE_DICOM_DIR, f)) })));
    const res = await http(origin, { method: 'POST', url: '/%61pi/v1/series', headers: { 'content-type': contentType }, payload: body });
    expect(res.statusCode).toBe(401);
    expect(app.sliceFinder.series.cache.entries).toBe(0);
  });

  it('paths no route matches need a token too; public routes do not', async () => {
    expect((await http(origin, { url: '/no/such/thing' })).statusCode).toBe(401);
    expect((await http(origin, { url: '/no/such/thing', headers: auth })).statusCode).toBe(404);
    expect((await http(origin, { url: '/%68ealthz' })).statusCode).toBe(200);
    expect((await http(origin, { url: '/readyz' })).statusCode).not.toBe(401);
  });

  it('with the token the encoded path reaches the same route', async () => {
    expect((await http(origin, { url: '/%61pi/v1/models', headers: auth })).statusCode).toBe(200);
    const studies = await http(origin, { url: '/%64icom-web/studies', headers: auth });
    expect(studies.statusCode).toBe(200);
    expect(studies.json()).toHaveLength(1);
  });

  it('requests refused with 401 count against the rate limit', async () => {
    const limited = await buildApp(
      testConfig((c) => {
        c.auth.tokens = [{ name: 'ris', token: TOKEN }];
        c.rateLimit.max = 3;
      }),
      { logStream: new LineCapture() },
    );
    const o = await listen(limited);
    try {
      const codes: number[] = [];
      for (let i = 0; i < 5; i++) codes.push((await http(o, { url: '/api/v1/models', headers: { authorization: `Bearer wrong-${i}-0123456789abcdef` } })).statusCode);
      expect(codes).toEqual([401, 401, 401, 429, 429]);
      // The limit is per client, whoever it claims to be; health stays out of it.
      expect((await http(o, { url: '/api/v1/models', headers: auth })).statusCode).toBe(429);
      expect((await http(o, { url: '/healthz' })).statusCode).toBe(200);
    } finally {
      await limited.close();
    }
  });
});

describe('rate limit', () => {
  it('answers 429 with a JSON error past the limit', async () => {
    const app = await buildApp(testConfig((c) => (c.rateLimit.max = 3)), { logStream: new LineCapture() });
    const origin = await listen(app);
    try {
      const codes: number[] = [];
      for (let i = 0; i < 5; i++) codes.push((await http(origin, { url: '/api/v1/models' })).statusCode);
      expect(codes).toEqual([200, 200, 200, 429, 429]);
      const res = await http(origin, { url: '/api/v1/models' });
      expect(res.json()).toMatchObject({ statusCode: 429, code: 'rate_limited' });
      expect((await http(origin, { url: '/healthz' })).statusCode).toBe(200);
    } finally {
      await app.close();
    }
  });
});
