/**
 * Execution providers: the order to try (cuda → webgpu → cpu by default, or what `--ep` /
 * SLICE_FINDER_EP asks for, always ending with cpu), and session creation that walks that order,
 * logs one line for each provider that cannot load, and says which one ran.
 */
import * as ort from 'onnxruntime-node';
import type { Logger } from 'pino';
import { ExecutionProviderError, ModelError, ModelFileCorruptError } from './errors';

export const EXECUTION_PROVIDERS = ['cuda', 'webgpu', 'cpu'] as const;
export type ExecutionProvider = (typeof EXECUTION_PROVIDERS)[number];
export const DEFAULT_EP_ORDER: ExecutionProvider[] = ['cuda', 'webgpu', 'cpu'];
export const EP_ENV = 'SLICE_FINDER_EP';

export class ExecutionProviderConfigError extends ModelError {
  constructor(message: string) {
    super('EXECUTION_PROVIDER_CONFIG', 500, message);
  }
}

/**
 * "webgpu" → [webgpu, cpu]; "cuda,webgpu" → [cuda, webgpu, cpu]; "auto" or empty → the default order.
 * CPU is always the last resort, so a machine without the requested accelerator still answers.
 */
export function parseEpOrder(spec: string | undefined): ExecutionProvider[] {
  const text = (spec ?? '').trim().toLowerCase();
  if (!text || text === 'auto') return [...DEFAULT_EP_ORDER];
  const names = text.split(',').map((s) => s.trim()).filter(Boolean);
  for (const n of names) {
    if (!(EXECUTION_PROVIDERS as readonly string[]).includes(n)) {
      throw new ExecutionProviderConfigError(`unknown execution provider "${n}" (expected ${EXECUTION_PROVIDERS.join(', ')} or auto)`);
    }
  }
  const order = [...new Set(names as ExecutionProvider[])];
  if (!order.includes('cpu')) order.push('cpu');
  return order;
}

/** The order from an explicit option, else SLICE_FINDER_EP, else the default. */
export function resolveEpOrder(option?: string, env: NodeJS.ProcessEnv = process.env): ExecutionProvider[] {
  return parseEpOrder(option ?? env[EP_ENV]);
}

export interface SessionSettings {
  /** Intra-op threads for the CPU provider (default: ORT's choice). */
  threads?: number;
}

function sessionOptions(ep: ExecutionProvider, s: SessionSettings): ort.InferenceSession.SessionOptions {
  return {
    executionProviders: [ep],
    graphOptimizationLevel: 'all',
    // ORT's own logger prints native errors to stderr; the fallback is reported through pino instead.
    logSeverityLevel: 4,
    ...(ep === 'cpu' && s.threads ? { intraOpNumThreads: s.threads, interOpNumThreads: 1 } : {}),
  };
}

/** True when ORT says the model bytes themselves are bad (as opposed to the provider). */
function isModelLoadFailure(message: string): boolean {
  return /protobuf parsing failed|invalid_protobuf|invalid model|load model .* failed|ModelProto|INVALID_GRAPH|no graph/i.test(message);
}

export interface CreatedSession {
  session: ort.InferenceSession;
  executionProvider: ExecutionProvider;
  /** Providers that were tried and could not load, with the reason. */
  skipped: Array<{ ep: ExecutionProvider; reason: string }>;
}

/**
 * Creates a session on the first provider in `order` that loads. A provider that fails is logged
 * (one warn line: model, provider, next provider, short reason). A model file that ORT cannot parse
 * is a ModelFileCorruptError naming `file`, not a provider fallback. `warmUp` runs once on the new
 * session before it is handed out.
 */
export async function createSession(
  model: Uint8Array,
  file: string,
  order: ExecutionProvider[],
  log: Logger,
  settings: SessionSettings = {},
  warmUp?: (session: ort.InferenceSession) => Promise<void>,
): Promise<CreatedSession> {
  const skipped: CreatedSession['skipped'] = [];
  // ORT's native logger would print each provider failure to stderr as well; pino reports them instead.
  // SLICE_FINDER_ORT_LOG (verbose|info|warning|error|fatal) restores native logs for debugging.
  ort.env.logLevel = (process.env.SLICE_FINDER_ORT_LOG as typeof ort.env.logLevel) ?? 'fatal';
  for (let i = 0; i < order.length; i++) {
    const ep = order[i];
    let session: ort.InferenceSession | undefined;
    try {
      session = await ort.InferenceSession.create(model, sessionOptions(ep, settings));
      // A provider can create a session and still fail on the first run (e.g. a GPU without memory):
      // the warm-up run is part of loading, so that failure falls back too.
      if (warmUp) await warmUp(session);
      return { session, executionProvider: ep, skipped };
    } catch (e) {
      if (session) await session.release().catch(() => undefined);
      if (e instanceof ModelError) throw e;
      const reason = String((e as Error)?.message ?? e).split('\n')[0].slice(0, 200);
      if (isModelLoadFailure(reason) || ep === 'cpu') throw new ModelFileCorruptError(file, `onnxruntime cannot load it (${reason})`, e);
      const next = order[i + 1];
      log.warn({ model: file, executionProvider: ep, fallback: next ?? null, reason }, `execution provider ${ep} cannot load; falling back to ${next ?? 'nothing'}`);
      skipped.push({ ep, reason });
    }
  }
  throw new ExecutionProviderError(`no execution provider could load ${file} (tried ${order.join(', ')})`);
}
