/**
 * Lesion-model benchmark: candidates per second at several batch sizes on the chosen execution provider,
 * and (with --e2e) the cold end-to-end time of the LIDC series with the model on.
 *
 *   npm run -s bench:model -- [--ep cpu|webgpu|cuda|auto] [--threads N] [--batches 1,64,512]
 *                             [--seconds S] [--model-dir models/lesion-cnn] [--e2e] [--dicom-dir DIR] [--json]
 *
 * Prints numbers; asserts nothing (speed goals live here, not in timed tests).
 */
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { LesionModel } from '../server/runtime/lesion-cnn/model';
import { patchLength } from '../server/runtime/lesion-cnn/patches';
import { loadManifest } from '../server/runtime/manifest';
import { resolveEpOrder } from '../server/runtime/providers';

interface Args {
  ep?: string;
  threads?: number;
  batches: number[];
  seconds: number;
  modelDir: string;
  e2e: boolean;
  dicomDir?: string;
  json: boolean;
}

function parse(argv: string[]): Args {
  const a: Args = { batches: [1, 64, 512], seconds: 2, modelDir: path.resolve(__dirname, '..', 'models', 'lesion-cnn'), e2e: false, json: false };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const v = (): string => {
      const x = argv[++i];
      if (x === undefined) throw new Error(`${k} needs a value`);
      return x;
    };
    if (k === '--ep') a.ep = v();
    else if (k === '--threads') a.threads = Number(v());
    else if (k === '--batches') a.batches = v().split(',').map(Number);
    else if (k === '--seconds') a.seconds = Number(v());
    else if (k === '--model-dir') a.modelDir = path.resolve(v());
    else if (k === '--dicom-dir') a.dicomDir = path.resolve(v());
    else if (k === '--e2e') a.e2e = true;
    else if (k === '--json') a.json = true;
    else throw new Error(`unknown option ${k}`);
  }
  return a;
}

/** Deterministic patch-like data (the network's cost does not depend on the values). */
function fakePatches(n: number, len: number): Float32Array {
  const x = new Float32Array(n * len);
  let s = 12345;
  for (let i = 0; i < x.length; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    x[i] = (s / 2 ** 32) * 2 - 1;
  }
  return x;
}

async function throughput(model: LesionModel, batch: number, seconds: number): Promise<{ batch: number; runs: number; candidatesPerSecond: number; msPerCandidate: number; msPerRun: number }> {
  const len = patchLength(model.spec);
  const data = fakePatches(batch, len);
  await model.predictPatches(data, batch); // first run at this shape (allocations, GPU pipelines)
  let runs = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < seconds * 1000 || runs < 3) {
    await model.predictPatches(data, batch);
    runs++;
  }
  const ms = performance.now() - t0;
  return { batch, runs, candidatesPerSecond: (runs * batch * 1000) / ms, msPerCandidate: ms / (runs * batch), msPerRun: ms / runs };
}

async function endToEnd(model: LesionModel, dicomDir: string | undefined): Promise<Record<string, number | string>> {
  // Loaded lazily: the GPU bundle runs without the pipeline and the sample data.
  const { loadSeriesFromDir } = await import('../server/series/load');
  const { SAMPLE_DICOM_DIR } = await import('../server/series/sample');
  const { analyseVolume, rerankSlices } = await import('../server/rerank/pipeline');
  const { parseQuery } = await import('../server/query/parse');
  const { LesionCnnScorer } = await import('../server/runtime/lesion-cnn/scorer');
  const scorer = new LesionCnnScorer(model);
  const t0 = performance.now();
  const { volume } = await loadSeriesFromDir(dicomDir ?? SAMPLE_DICOM_DIR);
  const t1 = performance.now();
  const analysis = analyseVolume(volume);
  const t2 = performance.now();
  const response = await rerankSlices(analysis, parseQuery('spiculated solid nodule in the left lung'), { topK: 10, scorer });
  const t3 = performance.now();
  await rerankSlices(analysis, parseQuery('右肺上叶磨玻璃结节'), { topK: 10, scorer });
  const t4 = performance.now();
  return {
    slices: volume.slices,
    candidates: analysis.candidates.length,
    decodeMs: Math.round(t1 - t0),
    analysisMs: Math.round(t2 - t1),
    scoringWithModelMs: Math.round(t3 - t2),
    coldTotalMs: Math.round(t3 - t0),
    warmQueryMs: Math.round((t4 - t3) * 10) / 10,
    model: `${response.model.id} ${response.model.version} (${response.model.executionProvider})`,
  };
}

async function main(): Promise<void> {
  const a = parse(process.argv.slice(2));
  const order = resolveEpOrder(a.ep ?? 'cpu');
  const log = pino({ level: 'warn' }, pino.destination(2));
  const t0 = performance.now();
  const model = await LesionModel.open(await loadManifest(a.modelDir), { order, log, threads: a.threads, maxBatch: Math.max(...a.batches) });
  const loadMs = performance.now() - t0;
  const rows = [];
  for (const b of a.batches) rows.push(await throughput(model, b, a.seconds));
  const e2e = a.e2e ? await endToEnd(model, a.dicomDir) : undefined;
  const result = {
    model: model.info,
    requested: order,
    threads: a.threads ?? 'default',
    cpus: os.cpus().length,
    loadAndWarmUpMs: Math.round(loadMs),
    throughput: rows,
    endToEnd: e2e,
  };
  await model.close();
  if (a.json) {
    process.stdout.write(JSON.stringify(result, null, 2) + '\n');
    return;
  }
  const out = process.stdout;
  out.write(`model ${model.info.id} ${model.info.version} on ${model.info.executionProvider} (asked: ${order.join(' → ')}), threads ${result.threads}, ${result.cpus} CPUs\n`);
  out.write(`load + warm-up: ${result.loadAndWarmUpMs} ms\n`);
  for (const r of rows) {
    out.write(`batch ${String(r.batch).padStart(4)}: ${r.candidatesPerSecond.toFixed(0).padStart(7)} candidates/s  ${r.msPerCandidate.toFixed(3)} ms/candidate  ${r.msPerRun.toFixed(1)} ms/run  (${r.runs} runs)\n`);
  }
  if (e2e) {
    out.write(
      `LIDC end-to-end cold with the model: ${e2e.coldTotalMs} ms (decode ${e2e.decodeMs}, analysis ${e2e.analysisMs}, scoring incl. model ${e2e.scoringWithModelMs}; ${e2e.candidates} candidates, ${e2e.slices} slices); warm query ${e2e.warmQueryMs} ms; ${e2e.model}\n`,
    );
  }
}

main().catch((e) => {
  process.stderr.write(`bench:model: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
