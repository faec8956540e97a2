/** Manifest validation: every rule a broken model folder can break gives a typed error naming the file. */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ManifestInvalidError, ModelFileCorruptError, ModelFileMissingError } from '../../../server/runtime/errors';
import { listModelDirs, loadManifest, parseManifest, type ModelManifest } from '../../../server/runtime/manifest';

const TINY = path.resolve(__dirname, '..', '..', 'fixtures', 'tiny-clip');
const tinyManifest = (): ModelManifest => JSON.parse(fs.readFileSync(path.join(TINY, 'manifest.json'), 'utf8'));

function lesionManifest(): ModelManifest {
  return {
    id: 'lesion-test',
    kind: 'lesion-cnn',
    version: '1',
    files: { model: 'model.onnx' },
    inputs: [{ name: 'patches', role: 'patches', file: 'model', dtype: 'float32', shape: ['batch', 6, 40, 40] }],
    outputs: [{ name: 'lesion', role: 'lesion-probability', file: 'model', dtype: 'float32', shape: ['batch'] }],
    preprocessing: {
      patch: {
        size: 40,
        mmPerPixel: 1.2,
        sliceOffsetsMm: [-3, 0, 3],
        windows: [
          { center: -600, width: 1500 },
          { center: 40, width: 400 },
        ],
        mean: [0, 0, 0, 0, 0, 0],
        std: [1, 1, 1, 1, 1, 1],
      },
    },
    licence: { weights: 'MIT' },
    provenance: {},
  };
}

function problemsOf(data: unknown): string[] {
  try {
    parseManifest(data, '/x/manifest.json');
  } catch (e) {
    expect(e).toBeInstanceOf(ManifestInvalidError);
    expect((e as ManifestInvalidError).file).toBe('/x/manifest.json');
    expect((e as ManifestInvalidError).httpStatus).toBe(503);
    return (e as ManifestInvalidError).problems;
  }
  throw new Error('expected the manifest to be rejected');
}

function tmpModelDir(manifest: unknown, files: Record<string, string | Buffer> = {}): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sf-model-'));
  fs.writeFileSync(path.join(dir, 'manifest.json'), typeof manifest === 'string' ? manifest : JSON.stringify(manifest));
  for (const [name, data] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), data);
  return dir;
}

describe('parseManifest', () => {
  it('accepts the tiny clip-dual and a minimal lesion-cnn manifest', () => {
    expect(parseManifest(tinyManifest(), 'm').kind).toBe('clip-dual');
    expect(parseManifest(lesionManifest(), 'm').id).toBe('lesion-test');
  });

  it('rejects an unknown kind with the JSON path', () => {
    const problems = problemsOf({ ...lesionManifest(), kind: 'segmenter' });
    expect(problems.some((p) => p.startsWith('/kind'))).toBe(true);
  });

  it('rejects missing licence and a non-numeric shape dimension type', () => {
    const m = lesionManifest() as unknown as Record<string, unknown>;
    delete m.licence;
    (m.inputs as Array<Record<string, unknown>>)[0].shape = [true];
    const problems = problemsOf(m);
    expect(problems.some((p) => p.startsWith('/licence'))).toBe(true);
    expect(problems.some((p) => p.startsWith('/inputs/0/shape'))).toBe(true);
  });

  it('needs the roles of its kind', () => {
    const m = lesionManifest();
    m.outputs[0].role = 'something-else';
    expect(problemsOf(m)).toEqual([expect.stringContaining('role "lesion-probability"')]);
  });

  it('checks mean/std against windows x slice offsets and the input shape against the patch size', () => {
    const m = lesionManifest();
    m.preprocessing.patch!.mean = [0, 0];
    m.inputs[0].shape = ['batch', 6, 32, 32];
    const problems = problemsOf(m);
    expect(problems).toEqual(
      expect.arrayContaining([expect.stringContaining('/preprocessing/patch/mean: needs 6'), expect.stringContaining('does not match preprocessing')]),
    );
  });

  it('refuses files outside the model folder and tensors naming an unknown file', () => {
    const m = lesionManifest();
    m.files.model = '../../etc/passwd';
    m.outputs[0].file = 'weights';
    const problems = problemsOf(m);
    expect(problems).toEqual(expect.arrayContaining([expect.stringContaining('inside the model folder'), expect.stringContaining('"weights" is not a key of files')]));
  });

  it('needs a tokenizer and image preprocessing for clip-dual', () => {
    const m = tinyManifest();
    delete m.tokenizer;
    delete m.preprocessing.image;
    expect(problemsOf(m)).toEqual(expect.arrayContaining([expect.stringContaining('/tokenizer'), expect.stringContaining('/preprocessing/image')]));
  });
});

describe('loadManifest', () => {
  it('resolves every file of the tiny model to an absolute path', async () => {
    const m = await loadManifest(TINY);
    expect(m.manifest.id).toBe('tiny-clip');
    expect(m.paths.vision).toBe(path.join(TINY, 'vision.onnx'));
    expect(fs.existsSync(m.paths.tokenizer)).toBe(true);
  });

  it('a folder without manifest.json is a missing-file error naming it', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sf-model-'));
    await expect(loadManifest(dir)).rejects.toMatchObject({ name: 'ModelFileMissingError', code: 'MODEL_FILE_MISSING', file: path.join(dir, 'manifest.json') });
  });

  it('invalid JSON is a corrupt-file error naming the manifest', async () => {
    const dir = tmpModelDir('{ "id": ');
    const err = await loadManifest(dir).catch((e) => e);
    expect(err).toBeInstanceOf(ModelFileCorruptError);
    expect(err.message).toContain(path.join(dir, 'manifest.json'));
  });

  it('a model file the manifest names but the folder lacks is a missing-file error naming it', async () => {
    const dir = tmpModelDir(lesionManifest());
    const err = await loadManifest(dir).catch((e) => e);
    expect(err).toBeInstanceOf(ModelFileMissingError);
    expect(err.file).toBe(path.join(dir, 'model.onnx'));
    expect(err.message).toContain(path.join(dir, 'model.onnx'));
  });

  it('a checksum mismatch is a corrupt file', async () => {
    const body = Buffer.from('not the weights');
    const m = { ...lesionManifest(), sha256: { 'model.onnx': createHash('sha256').update('the weights').digest('hex') } };
    const dir = tmpModelDir(m, { 'model.onnx': body });
    await expect(loadManifest(dir)).rejects.toMatchObject({ code: 'MODEL_FILE_CORRUPT', file: path.join(dir, 'model.onnx') });
    const ok = { ...lesionManifest(), sha256: { 'model.onnx': createHash('sha256').update(body).digest('hex') } };
    await expect(loadManifest(tmpModelDir(ok, { 'model.onnx': body }))).resolves.toMatchObject({ manifest: { id: 'lesion-test' } });
  });

  it('lists only folders that have a manifest', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sf-models-'));
    fs.mkdirSync(path.join(root, 'b'));
    fs.writeFileSync(path.join(root, 'b', 'manifest.json'), '{}');
    fs.mkdirSync(path.join(root, 'a'));
    fs.mkdirSync(path.join(root, 'train'));
    expect(await listModelDirs(root)).toEqual([path.join(root, 'b')]);
    expect(await listModelDirs(path.join(root, 'nope'))).toEqual([]);
  });
});
