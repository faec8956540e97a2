/** Turns the service's phase progress lines into one bar that only moves forward. */
import type { Progress } from '../../../contract/client';

/** Share of the bar each phase covers; fetch dominates a cold series. */
const PHASE_RANGE: Record<Progress['phase'], [number, number]> = {
  fetch: [0, 0.4],
  decode: [0.4, 0.6],
  analyse: [0.6, 0.85],
  score: [0.85, 1],
};

export interface ProgressView {
  phase: Progress['phase'] | 'start';
  done?: number;
  total?: number;
  /** 0..1 */
  fraction: number;
}

export const START_PROGRESS: ProgressView = { phase: 'start', fraction: 0 };

export function advance(previous: ProgressView, p: Progress): ProgressView {
  const range = PHASE_RANGE[p.phase] ?? [previous.fraction, previous.fraction];
  const within = p.total && p.total > 0 && p.done !== undefined ? Math.min(1, Math.max(0, p.done / p.total)) : 0;
  const fraction = Math.max(previous.fraction, range[0] + (range[1] - range[0]) * within);
  return { phase: p.phase, done: p.done, total: p.total, fraction };
}
