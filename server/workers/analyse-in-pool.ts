/**
 * One series' analysis spread over the pool's threads, driven from the main thread. After its first
 * stage (grid and lungs: in the task that assembles the volume, or a task of its own), the lesion search
 * and the chest-findings search run at once as two tasks, and a third joins them (pipeline.ts has the
 * stages; analyseVolume runs the same ones in turn, to the same analysis).
 *
 * No task ever waits for another: the main thread starts each when what it needs is there, so a pool of
 * one thread, or one busy with other series, runs them in turn instead of deadlocking. The main thread
 * only passes things on: the volume and the lungs are shared memory, the searches' results bytes
 * (v8-serialized in the worker), so the event loop neither copies masks nor rebuilds candidates.
 */
import type { Volume } from '../series/volume';
import type { RunOptions, WorkerPool } from './pool';
import type { StartedAnalysis } from './tasks';
import type { AnalysisWire, PackedScorerInputs } from './wire';

type LesionInput = { volume: Volume; lungs: StartedAnalysis['stage'] };

export interface AnalyseInPoolOptions extends Pick<RunOptions, 'signal' | 'timeoutMs'> {
  /** The first stage, when the task that assembled the volume made it (else a task makes it here). */
  started?: StartedAnalysis;
  /**
   * Called once the lesion search is done, while the findings search may still run, with what the
   * learned model reads of the lesions (their ids do not change in the join): scoring can start early.
   * What it throws is ignored: it must not fail the analysis.
   */
  onLesions?: (lesions: PackedScorerInputs) => void;
}

/** The lesion search, telling `onLesions` as soon as it is done. */
async function searchLesions(pool: WorkerPool, input: LesionInput, run: RunOptions, onLesions: AnalyseInPoolOptions['onLesions']): Promise<Uint8Array> {
  const { bytes, scorerInputs } = await pool.run('analysisLesions', input, run);
  try {
    if (!run.signal?.aborted) onLesions?.(scorerInputs); // not for an analysis given up already
  } catch {
    // an early start is an optimisation only
  }
  return bytes;
}

export async function analyseInPool(pool: WorkerPool, volume: Volume, opts: AnalyseInPoolOptions = {}): Promise<AnalysisWire> {
  // one search failing stops the other
  const controller = new AbortController();
  const onAbort = (): void => controller.abort(opts.signal?.reason);
  if (opts.signal?.aborted) onAbort();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  const run = { signal: controller.signal, timeoutMs: opts.timeoutMs };
  try {
    const started = opts.started ?? (await pool.run('analysisLungs', { volume }, run));
    const input = { volume, lungs: started.stage };
    const [lesions, findings] = await Promise.all([searchLesions(pool, input, run, opts.onLesions), pool.run('analysisFindings', input, run)]);
    return await pool.run(
      'analysisJoin',
      { volume, masks: started.stage.masks, lesions, findings, timings: { ...started.stage.timings }, startedAt: started.startedAt },
      { ...run, transfer: [lesions.buffer as ArrayBuffer, findings.buffer as ArrayBuffer] },
    );
  } catch (err) {
    controller.abort(err);
    throw err;
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
  }
}
