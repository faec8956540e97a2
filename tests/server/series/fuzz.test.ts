/**
 * Fuzz: 240 mutated and truncated copies of real files (explicit and implicit VR slices, an
 * enhanced CT, the DICOM SEG), alone or beside clean neighbours, each loaded in a worker thread
 * under a time limit. Every one must end in a typed SeriesError with its documented status, or in
 * a volume whose sizes agree; never a hang, a crash or another exception. Seeded: reproducible.
 */
import fs from 'node:fs';
import {
  EmptySeriesError,
  InvalidGeometryError,
  MalformedDicomError,
  MixedSeriesError,
  NonImageSopClassError,
  NotDicomError,
  PixelDataLengthError,
  SeriesError,
  SeriesNotFoundError,
  SeriesReadError,
  SeriesTooLargeError,
  TruncatedPixelDataError,
  UnsupportedPixelFormatError,
  UnsupportedTransferSyntaxError,
} from '../../../server/series/errors';
import { enhancedCt, readSlice, rewrite, SEG_FILE, set } from './fixtures';
import { type Base, headerEndOf, mutate, Rng } from './fuzz/mutate';
import { type Outcome, WorkerPool } from './fuzz/pool';
import type { FuzzRequest } from './fuzz/protocol';

const CASES = 240;
const SEED = 0x5eed2026;
const TIME_LIMIT_MS = 5000;
const WORKERS = 2;

jest.setTimeout(180_000);

const statusByCode = new Map<string, number>(
  [
    new NotDicomError(''),
    new MalformedDicomError(''),
    new TruncatedPixelDataError(''),
    new PixelDataLengthError(''),
    new NonImageSopClassError('', ''),
    new MixedSeriesError('', 'size'),
    new UnsupportedTransferSyntaxError('', ''),
    new UnsupportedPixelFormatError(''),
    new InvalidGeometryError(''),
    new EmptySeriesError(''),
    new SeriesTooLargeError(''),
    new SeriesNotFoundError(''),
    new SeriesReadError(''),
  ].map((e: SeriesError) => [e.code, e.httpStatus]),
);

function base(name: string, data: Uint8Array): Base {
  return { name, data, headerEnd: headerEndOf(data) };
}

interface Case {
  id: number;
  ops: string;
  files: Array<{ name: string; data: Uint8Array }>;
}

function buildCases(): Case[] {
  const implicit = rewrite(readSlice(31), (d) => set(d.meta, '00020010', 'UI', ['1.2.840.10008.1.2']));
  const bases: Array<{ b: Base; weight: number; neighbours: number[] }> = [
    { b: base('explicit-030.dcm', readSlice(30)), weight: 4, neighbours: [31, 32] },
    { b: base('implicit-031.dcm', implicit), weight: 3, neighbours: [32, 33] },
    { b: base('enhanced-050.dcm', enhancedCt(50, [1, 0, 2], '2.25.20261127')), weight: 2, neighbours: [53, 54] },
    { b: base('seg.dcm', new Uint8Array(fs.readFileSync(SEG_FILE))), weight: 1, neighbours: [30, 31] },
  ];
  const weighted = bases.flatMap((x) => Array<typeof x>(x.weight).fill(x));
  const donors = bases.map((x) => x.b);
  const rng = new Rng(SEED);
  const cases: Case[] = [];
  for (let id = 0; id < CASES; id++) {
    const pick = rng.pick(weighted);
    const { data, ops } = mutate(rng, pick.b, donors);
    const files = [{ name: pick.b.name, data }];
    if (rng.chance(0.5)) {
      for (const n of pick.neighbours.slice(0, 1 + rng.int(2))) files.push({ name: `clean-${n}.dcm`, data: new Uint8Array(readSlice(n)) });
    }
    cases.push({ id, ops: `${pick.b.name}: ${ops.join(', ')}`, files });
  }
  return cases;
}

/** Why an outcome is not acceptable, or undefined when it is. */
function problem(o: Outcome): string | undefined {
  switch (o.kind) {
    case 'timeout':
      return `no answer within ${TIME_LIMIT_MS} ms`;
    case 'crash':
      return `worker crashed: ${o.message}`;
    case 'escaped':
      return `untyped ${o.name}: ${o.message}`;
    case 'error': {
      const status = statusByCode.get(o.code);
      if (status === undefined) return `unknown error code ${o.code}`;
      if (status !== o.httpStatus) return `${o.code} with status ${o.httpStatus}, expected ${status}`;
      if (!o.message) return `${o.code} without a message`;
      // eslint-disable-next-line no-control-regex
      if (/[\u0000-\u001f\u007f]/.test(o.message)) return `${o.code} message carries control characters from the file`;
      return undefined;
    }
    case 'volume': {
      const n = o.slices * o.rows * o.columns;
      if (!(o.slices >= 1 && o.rows >= 1 && o.columns >= 1)) return `empty volume ${o.slices}x${o.rows}x${o.columns}`;
      if (o.huLength !== n) return `hu has ${o.huLength} values for ${o.slices}x${o.rows}x${o.columns}`;
      if (o.positions !== o.slices || o.sopInstanceUIDs !== o.slices || o.frames !== o.slices) return 'per-slice lists disagree with slices';
      if (!o.allFinite) return 'non-finite HU or position';
      if (!(o.sliceSpacing > 0 && Number.isFinite(o.sliceSpacing))) return `slice spacing ${o.sliceSpacing}`;
      return undefined;
    }
  }
}

test(`${CASES} mutated and truncated files: typed errors or consistent volumes, no hang, no crash`, async () => {
  const cases = buildCases();
  const pool = new WorkerPool(WORKERS, TIME_LIMIT_MS);
  try {
    await pool.ready();
    const outcomes = await Promise.all(
      cases.map((c) => {
        // Copy into fresh ArrayBuffers: they are transferred to the worker.
        const req: FuzzRequest = { id: c.id, files: c.files.map((f) => ({ name: f.name, data: f.data.slice().buffer as ArrayBuffer })) };
        return pool.run(req);
      }),
    );
    const failures = outcomes.map((o, i) => [cases[i], problem(o)] as const).filter(([, p]) => p !== undefined);
    expect(failures.map(([c, p]) => `case ${c.id} (${c.ops}): ${p}`)).toEqual([]);

    // The mutations must reach more than the first check: several error kinds and some volumes.
    const codes = new Set(outcomes.flatMap((o) => (o.kind === 'error' ? [o.code] : [])));
    const volumes = outcomes.filter((o) => o.kind === 'volume').length;
    if (process.env.FUZZ_REPORT) {
      const counts = new Map<string, number>();
      for (const o of outcomes) {
        const key = o.kind === 'error' ? `${o.code} ${o.message.replace(/[0-9]+/g, 'N').slice(0, 70)}` : o.kind;
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
      process.stdout.write(`fuzz outcomes:\n${[...counts].map(([k, n]) => `${n}\t${k}`).join('\n')}\n`);
    }
    expect(codes.size).toBeGreaterThanOrEqual(5);
    expect(volumes).toBeGreaterThanOrEqual(10);
  } finally {
    await pool.close();
  }
});
