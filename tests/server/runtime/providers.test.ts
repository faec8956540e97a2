/**
 * @jest-environment ./tests/server/runtime/ort-environment.js
 */
/**
 * Execution-provider order and fallback on a real onnxruntime-node: CUDA is not bundled here (and WebGPU
 * finds no adapter on a machine without a GPU), so asking for it must fall back to CPU with a log line.
 * Missing and corrupt model files are typed errors naming the file.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { ExecutionProviderConfigError, parseEpOrder, resolveEpOrder } from '../../../server/runtime/providers';
import { ModelFileCorruptError, ModelFileMissingError } from '../../../server/runtime/errors';
import { loadManifest } from '../../../server/runtime/manifest';
import { openSession, zeroTensor } from '../../../server/runtime/sessions';

const TINY = path.resolve(__dirname, '..', '..', 'fixtures', 'tiny-clip');

function capture(): { log: pino.Logger; lines: () => Array<Record<string, unknown>> } {
  const out: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      out.push(String(chunk));
      done();
    },
  });
  return { log: pino({ level: 'info' }, stream), lines: () => out.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l)) };
}

describe('parseEpOrder', () => {
  it('defaults to cuda → webgpu → cpu', () => {
    expect(parseEpOrder(undefined)).toEqual(['cuda', 'webgpu', 'cpu']);
    expect(parseEpOrder('auto')).toEqual(['cuda', 'webgpu', 'cpu']);
  });

  it('always ends with cpu and drops duplicates', () => {
    expect(parseEpOrder('webgpu')).toEqual(['webgpu', 'cpu']);
    expect(parseEpOrder(' CUDA , webgpu,cuda')).toEqual(['cuda', 'webgpu', 'cpu']);
    expect(parseEpOrder('cpu')).toEqual(['cpu']);
  });

  it('rejects an unknown provider by name', () => {
    expect(() => parseEpOrder('tpu')).toThrow(ExecutionProviderConfigError);
    expect(() => parseEpOrder('tpu')).toThrow(/"tpu"/);
  });

  it('takes the option over SLICE_FINDER_EP over the default', () => {
    expect(resolveEpOrder('cpu', { SLICE_FINDER_EP: 'webgpu' })).toEqual(['cpu']);
    expect(resolveEpOrder(undefined, { SLICE_FINDER_EP: 'webgpu' })).toEqual(['webgpu', 'cpu']);
    expect(resolveEpOrder(undefined, {})).toEqual(['cuda', 'webgpu', 'cpu']);
  });
});

describe('openSession', () => {
  it('falls back from cuda (not bundled) to cpu, logs one line for it, and says cpu ran', async () => {
    const m = await loadManifest(TINY);
    const { log, lines } = capture();
    const inputs = m.manifest.inputs.filter((t) => t.file === 'vision');
    const outputs = m.manifest.outputs.filter((t) => t.file === 'vision');
    const s = await openSession(m.paths.vision, { order: ['cuda', 'cpu'], log, inputs, outputs });
    expect(s.executionProvider).toBe('cpu');
    const warns = lines().filter((l) => l.level === 40);
    expect(warns).toHaveLength(1);
    expect(warns[0]).toMatchObject({ executionProvider: 'cuda', fallback: 'cpu', model: m.paths.vision });
    expect(String(warns[0].msg)).toMatch(/cuda cannot load; falling back to cpu/);
    // The session works after the fallback.
    const out = await s.run({ pixel_values: zeroTensor(inputs[0], { batch: 2 }) });
    expect(out.image_embeds.dims).toEqual([2, 16]);
    await s.close();
  });

  it('a missing model file is a typed error naming the file', async () => {
    const file = path.join(os.tmpdir(), 'sf-no-such-model.onnx');
    const err = await openSession(file, { order: ['cpu'], log: pino({ enabled: false }), inputs: [], outputs: [] }).catch((e) => e);
    expect(err).toBeInstanceOf(ModelFileMissingError);
    expect(err.file).toBe(file);
    expect(err.message).toContain(file);
  });

  it('a corrupt (truncated) model file is a typed error naming the file, on every provider order', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sf-corrupt-'));
    const file = path.join(dir, 'vision.onnx');
    fs.writeFileSync(file, fs.readFileSync(path.join(TINY, 'vision.onnx')).subarray(0, 3000));
    for (const order of [['cpu'], ['cuda', 'webgpu', 'cpu']] as const) {
      const err = await openSession(file, { order: [...order], log: pino({ enabled: false }), inputs: [], outputs: [] }).catch((e) => e);
      expect(err).toBeInstanceOf(ModelFileCorruptError);
      expect(err.code).toBe('MODEL_FILE_CORRUPT');
      expect(err.message).toContain(file);
    }
  });

  it('a graph without the tensors the manifest names is rejected at load, naming the file', async () => {
    const m = await loadManifest(TINY);
    const inputs = [{ ...m.manifest.inputs[0], name: 'pixels_renamed' }];
    const err = await openSession(m.paths.vision, { order: ['cpu'], log: pino({ enabled: false }), inputs, outputs: [] }).catch((e) => e);
    expect(err).toBeInstanceOf(ModelFileCorruptError);
    expect(err.message).toMatch(/pixels_renamed/);
    expect(err.message).toContain(m.paths.vision);
  });

  it('serialises concurrent runs on one shared session and keeps each result with its caller', async () => {
    const m = await loadManifest(TINY);
    const inputs = m.manifest.inputs.filter((t) => t.file === 'vision');
    const s = await openSession(m.paths.vision, { order: ['cpu'], log: pino({ enabled: false }), inputs, outputs: [] });
    const feeds = (n: number) => ({ pixel_values: zeroTensor(inputs[0], { batch: n }) });
    const results = await Promise.all([1, 2, 3, 4].map((n) => s.run(feeds(n))));
    expect(results.map((r) => r.image_embeds.dims[0])).toEqual([1, 2, 3, 4]);
    // A failing run rejects only its own caller.
    const bad = s.run({ wrong: zeroTensor(inputs[0]) });
    const good = s.run(feeds(1));
    await expect(bad).rejects.toThrow();
    await expect(good).resolves.toHaveProperty('image_embeds');
    await s.close();
  });
});
