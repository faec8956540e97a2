/**
 * One onnxruntime session per model file and execution provider, created once (with a warm-up run)
 * and shared by every request.
 *
 * Concurrency, deliberately: runs on one session are serialised (FIFO). onnxruntime-node's run() is
 * async and ORT could run them in parallel, but each run already uses all intra-op threads and batches
 * every candidate of a request; parallel runs would only oversubscribe the cores and make latency
 * unpredictable. The queue also keeps a failed run from affecting the next one.
 */
import fs from 'node:fs/promises';
import * as ort from 'onnxruntime-node';
import type { Logger } from 'pino';
import { ModelFileCorruptError, ModelFileMissingError, ModelInputError } from './errors';
import type { TensorSpec } from './manifest';
import { createSession, type ExecutionProvider, type SessionSettings } from './providers';

export type Feeds = Record<string, ort.Tensor>;
export type Outputs = Record<string, ort.Tensor>;

export class SharedSession {
  readonly file: string;
  readonly executionProvider: ExecutionProvider;
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  private readonly session: ort.InferenceSession;
  private tail: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(file: string, session: ort.InferenceSession, executionProvider: ExecutionProvider) {
    this.file = file;
    this.session = session;
    this.executionProvider = executionProvider;
    this.inputNames = session.inputNames;
    this.outputNames = session.outputNames;
  }

  /** Runs after every run queued before it; a failure rejects only its own caller. */
  run(feeds: Feeds, outputNames?: string[]): Promise<Outputs> {
    if (this.closed) return Promise.reject(new Error(`session for ${this.file} is closed`));
    const result = this.tail.then(() => (outputNames ? this.session.run(feeds, outputNames) : this.session.run(feeds)));
    this.tail = result.catch(() => undefined);
    return result as Promise<Outputs>;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.tail;
    await this.session.release();
  }
}

/** A zero tensor for a declared input, symbolic dims set to 1 (or to `dims[name]`). */
export function zeroTensor(spec: TensorSpec, dims: Record<string, number> = {}): ort.Tensor {
  const shape = spec.shape.map((d) => (typeof d === 'number' ? d : (dims[d] ?? 1)));
  const n = shape.reduce((a, b) => a * b, 1);
  switch (spec.dtype) {
    case 'float32':
      return new ort.Tensor('float32', new Float32Array(n), shape);
    case 'int32':
      return new ort.Tensor('int32', new Int32Array(n), shape);
    case 'int64':
      return new ort.Tensor('int64', new BigInt64Array(n), shape);
  }
}

/** Checks the graph has the inputs/outputs the manifest names, so a mismatch fails at load naming the file. */
function checkNames(file: string, session: ort.InferenceSession, inputs: TensorSpec[], outputs: TensorSpec[]): void {
  const missing = [
    ...inputs.filter((t) => !session.inputNames.includes(t.name)).map((t) => `input "${t.name}"`),
    ...outputs.filter((t) => !session.outputNames.includes(t.name)).map((t) => `output "${t.name}"`),
  ];
  if (missing.length) {
    throw new ModelFileCorruptError(
      file,
      `the graph lacks ${missing.join(', ')} named by the manifest (graph inputs: ${session.inputNames.join(', ')}; outputs: ${session.outputNames.join(', ')})`,
    );
  }
}

export interface OpenOptions extends SessionSettings {
  order: ExecutionProvider[];
  log: Logger;
  /** Declared inputs/outputs of this file (from the manifest), for the name check and the warm-up run. */
  inputs: TensorSpec[];
  outputs: TensorSpec[];
  /** Values for symbolic dims in the warm-up run (e.g. { batch: 1, seq: 16 }). */
  warmUpDims?: Record<string, number>;
}

/** Reads the file once, creates the session on the first provider that loads, warms it up. */
export async function openSession(file: string, o: OpenOptions): Promise<SharedSession> {
  let bytes: Uint8Array;
  try {
    bytes = await fs.readFile(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new ModelFileMissingError(file, 'model file');
    throw new ModelFileCorruptError(file, `cannot read it (${(e as Error).message})`, e);
  }
  const created = await createSession(bytes, file, o.order, o.log, o, async (session) => {
    checkNames(file, session, o.inputs, o.outputs);
    const feeds: Feeds = {};
    for (const t of o.inputs) feeds[t.name] = zeroTensor(t, o.warmUpDims);
    await session.run(feeds);
  });
  return new SharedSession(file, created.session, created.executionProvider);
}

/** Throws ModelInputError unless `data` has exactly the element count of `shape`. */
export function checkedTensor(name: string, data: Float32Array, shape: number[]): ort.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  if (data.length !== n) throw new ModelInputError(`${name}: ${data.length} values for shape [${shape.join(', ')}] (${n})`);
  return new ort.Tensor('float32', data, shape);
}
