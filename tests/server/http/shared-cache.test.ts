/**
 * Replicas sharing analyses through a real Redis (Debian's redis-server on a free loopback port) and
 * two API replicas over the same folder: a series analysed through replica A is warm on replica B
 * (B's answer has no analysis timing, and the same ranking); two simultaneous cold requests for one
 * series on A and B analyse it once; Redis holds hashed keys and no identifiers; with Redis killed
 * mid-test both replicas keep answering, and each says so in its log once.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { indexFolder } from '../../../server/dicomweb/folder-index';
import { buildApp } from '../../../server/http/app';
import { createClient, type RerankResponse } from '../../../server/http/client';
import { newUid, readSlice, rewrite, set } from '../series/fixtures';
import { freePort } from '../../support/orthanc';
import { describeWithSystem, SYSTEM_PROGRAMS } from '../../support/system';
import { LineCapture, listen, testConfig } from './helpers';

jest.setTimeout(240_000);

const QUERY = 'spiculated solid nodule in the left lung';

/** A series of 24 LIDC slices around the nodule with new study, series and SOP UIDs, in `dir`. */
function makeSeries(dir: string): { series: string; sops: string[] } {
  mkdirSync(dir, { recursive: true });
  const study = newUid();
  const series = newUid();
  const sops: string[] = [];
  for (let n = 30; n < 54; n++) {
    const sop = newUid();
    sops.push(sop);
    const data = rewrite(readSlice(n), (d) => {
      set(d.dict, '0020000D', 'UI', [study]);
      set(d.dict, '0020000E', 'UI', [series]);
      set(d.dict, '00080018', 'UI', [sop]);
      set(d.meta, '00020003', 'UI', [sop]);
    });
    writeFileSync(path.join(dir, `${n}.dcm`), data);
  }
  return { series, sops };
}

async function startRedis(port: number): Promise<ChildProcess> {
  const proc = spawn(SYSTEM_PROGRAMS.redisServer, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('redis-server did not start')), 20_000);
    proc.stdout?.on('data', (b: Buffer) => {
      if (/Ready to accept connections/.test(b.toString())) {
        clearTimeout(t);
        resolve();
      }
    });
    proc.once('exit', (code) => reject(new Error(`redis-server exited (${code})`)));
  });
  return proc;
}

const ranking = (r: RerankResponse) => r.results.map((x) => ({ sop: x.sopInstanceUID, score: x.score }));

describeWithSystem(['redisServer'])('replicas sharing analyses through Redis', () => {
  let root: string;
  let redis: ChildProcess | undefined;
  let url: string;
  let a: FastifyInstance;
  let b: FastifyInstance;
  let originA: string;
  let originB: string;
  const logsA = new LineCapture();
  const logsB = new LineCapture();
  const s1 = { series: '', sops: [] as string[] };
  const s2 = { series: '', sops: [] as string[] };
  const s3 = { series: '', sops: [] as string[] };

  beforeAll(async () => {
    root = mkdtempSync(path.join(os.tmpdir(), 'sf-replicas-'));
    Object.assign(s1, makeSeries(path.join(root, 's1')));
    Object.assign(s2, makeSeries(path.join(root, 's2')));
    Object.assign(s3, makeSeries(path.join(root, 's3')));
    const port = await freePort();
    url = `redis://127.0.0.1:${port}`;
    redis = await startRedis(port);
    const index = await indexFolder(root);
    const replica = (logs: LineCapture) =>
      buildApp(
        testConfig((c) => {
          c.redis = { url, ttlSeconds: 600 };
          c.workers.threads = 1;
        }),
        { folderIndex: index, logStream: logs, auditStream: new LineCapture() },
      );
    [a, b] = await Promise.all([replica(logsA), replica(logsB)]);
    [originA, originB] = await Promise.all([listen(a), listen(b)]);
    await Promise.all([a.sliceFinder.engine.ready(), b.sliceFinder.engine.ready()]);
  }, 120_000);

  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
    redis?.kill('SIGKILL');
    rmSync(root, { recursive: true, force: true });
  });

  const rerank = (origin: string, s: { series: string }) =>
    createClient(origin).rerank({ query: QUERY, series: { source: 'local', seriesInstanceUID: s.series }, topK: 5 });

  it('a series analysed through replica A is warm on replica B', async () => {
    const viaA = await rerank(originA, s1);
    expect(viaA.timings.analysis).toBeGreaterThan(0);
    const viaB = await rerank(originB, s1);
    // B fetched and decoded its own copy (it needs the UIDs and the volume), but did not analyse it.
    expect(viaB.timings.decode).toBeGreaterThan(0);
    expect(viaB.timings.analysis).toBeUndefined();
    expect(ranking(viaB)).toEqual(ranking(viaA));
    expect(viaB.results[0].regions).toEqual(viaA.results[0].regions);
    expect(viaB.model).toEqual(viaA.model);
  });

  it('two simultaneous cold requests for one series on A and B analyse it once', async () => {
    const [viaA, viaB] = await Promise.all([rerank(originA, s2), rerank(originB, s2)]);
    const analysed = [viaA, viaB].filter((r) => r.timings.analysis !== undefined);
    expect(analysed).toHaveLength(1);
    expect(ranking(viaA)).toEqual(ranking(viaB));
  });

  it('Redis holds hashed keys with a TTL and no identifiers or pixel data', async () => {
    const client = new Redis(url);
    try {
      const keys = await client.keys('*');
      expect(keys.length).toBeGreaterThanOrEqual(2);
      const uids = [s1.series, s2.series, ...s1.sops, ...s2.sops];
      for (const key of keys) {
        expect(key).toMatch(/^sf:(a|s):[0-9a-f]{64}(:[0-9a-f]{32})?$/);
        const ttl = await client.ttl(key);
        expect(ttl).toBeGreaterThan(0);
        expect(ttl).toBeLessThanOrEqual(600);
        const text = gunzipSync((await client.getBuffer(key)) as Buffer).toString('latin1');
        for (const uid of uids) expect(text.includes(uid)).toBe(false);
        // Far less than a volume: no pixel data went in.
        expect(text.length).toBeLessThan(5 * 1024 * 1024);
      }
    } finally {
      client.disconnect();
    }
  });

  it('with Redis killed mid-test both replicas keep answering, from their own caches and analysing anew', async () => {
    const unreachable = (logs: LineCapture) => logs.lines.filter((l) => l.includes('Redis is unreachable')).length;
    const before = [unreachable(logsA), unreachable(logsB)];
    redis?.kill('SIGKILL');
    await new Promise((r) => redis?.once('exit', r));
    redis = undefined;
    const warmA = await rerank(originA, s1);
    expect(warmA.results.length).toBeGreaterThan(0);
    const [coldA, coldB] = await Promise.all([rerank(originA, s3), rerank(originB, s3)]);
    expect(coldA.timings.analysis).toBeGreaterThan(0);
    expect(coldB.timings.analysis).toBeGreaterThan(0);
    expect(ranking(coldA)).toEqual(ranking(coldB));
    // Each replica said so once, however many requests went without Redis.
    await rerank(originB, s3);
    expect([unreachable(logsA) - before[0], unreachable(logsB) - before[1]]).toEqual([1, 1]);
  });
});
