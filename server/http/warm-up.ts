/**
 * The service's warm-up: before it reports ready, its decode + analysis workers analyse a synthetic chest
 * (rerank/phantom.ts) and the query and model workers answer a few descriptions of it, through the same
 * engine calls a series takes. Without it a worker compiles the analysis on the first series it is given:
 * on the 2-core development machine the first cold series of LIDC-IDRI-0001 took 3.4–3.5 s end to end, and
 * 2.8 s after four rounds, as fast as the steady state (docs/measurements.md).
 */
import type { Logger } from 'pino';
import { chestVolume } from '../rerank/phantom';
import type { Volume } from '../series/volume';
import type { Engine } from './engine';

/** Descriptions the warm-up asks: a nodule, ground glass in Chinese, a mass, a lymph node, an effusion. */
const QUERIES = ['8 mm solid nodule in the right lower lobe', '右肺上叶磨玻璃结节', '3 cm spiculated mass, left upper lobe', 'enlarged right paratracheal lymph node', 'small left pleural effusion'];

/**
 * A chest of 0.8 mm pixels (the analysis' grid pairs them, as it does a real series'), a trachea and bronchi,
 * vessels, a solid and a ground-glass nodule and a mass.
 */
function warmUpVolume(): Volume {
  return chestVolume({
    slices: 48,
    rows: 256,
    columns: 256,
    pixelSpacing: 0.8,
    trachea: true,
    dome: 10,
    tubes: [{ from: [-60, -10, 20], to: [-45, 30, 80], diameter: 4, hu: 40 }, { from: [50, -20, 30], to: [65, 25, 70], diameter: 3, hu: 40 }],
    spheres: [
      { centre: [-60, 10, 50], diameter: 8, hu: 30 },
      { centre: [55, -15, 60], diameter: 12, hu: -600, rimHu: -750 },
      { centre: [62, 20, 40], diameter: 30, hu: 40 },
    ],
  });
}

/**
 * Runs the warm-up `runs` times: as many analyses at once as the pool has threads (each worker compiles every
 * stage), then the descriptions of the first analysis. Never throws: what fails is logged, and the service
 * starts as it would have without it.
 */
export async function warmUp(
  engine: Pick<Engine, 'analyse' | 'parse' | 'rerank'>,
  o: { runs: number; threads: number; log: Logger; volume?: () => Volume },
): Promise<void> {
  const t0 = performance.now();
  try {
    // made before the service listens: about 0.7 s of the event loop, once
    const volume = (o.volume ?? warmUpVolume)();
    for (let k = 0; k < o.runs; k++) {
      const analyses = await Promise.all(Array.from({ length: o.threads }, () => engine.analyse(volume)));
      for (const text of QUERIES) await engine.rerank(analyses[0], engine.parse(text), { topK: 10 });
    }
    o.log.info({ runs: o.runs, threads: o.threads, ms: Math.round(performance.now() - t0) }, 'analysis warmed up');
  } catch (err) {
    o.log.warn({ err }, 'warm-up failed; the first series compiles the analysis');
  }
}
