/** The extension's configuration: window.config.sliceFinder in app-config (or an `[extension, configuration]` pair's). */

export interface SliceFinderConfig {
  /** Origin (and path prefix) of the backend; '' means the viewer's own origin. The client appends /api/v1/... */
  backendUrl: string;
  defaultPreset: string;
  /** Default of the top-K slider, 1..100. */
  topK: number;
  /** Default of the minimum-score slider, 0..1. */
  minScore: number;
  /** Fewer images than this is not a CT stack the service can rank; checked before calling it. */
  minSlices: number;
  /** Show the heat overlay (a labelmap of the lesions' extent) from the start; the panel's checkbox toggles it. */
  heatOverlay: boolean;
  /** Force the UI language; otherwise the viewer's i18next language is followed. */
  language?: 'en' | 'zh';
  /** Ask the backend to load the active series as soon as it is shown, so the first search is fast. */
  prepareOnSeriesChange: boolean;
  /** A model id to request; the backend's default when absent. */
  model?: string;
}

export const DEFAULT_CONFIG: SliceFinderConfig = {
  backendUrl: '',
  defaultPreset: 'report-match',
  topK: 10,
  minScore: 0,
  minSlices: 10,
  heatOverlay: false,
  prepareOnSeriesChange: true,
};

export const BUILTIN_PRESETS = ['report-match', 'lesion-search', 'strict'];

function num(v: unknown, lo: number, hi: number, fallback: number, integer: boolean): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) return fallback;
  const clamped = Math.min(hi, Math.max(lo, v));
  return integer ? Math.round(clamped) : clamped;
}

/** Merges what app-config gave over the defaults; wrong types fall back to the default rather than break the viewer. */
export function resolveConfig(raw: unknown): SliceFinderConfig {
  const r = (raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>;
  const str = (v: unknown, fallback: string) => (typeof v === 'string' ? v : fallback);
  const language = r.language === 'en' || r.language === 'zh' ? r.language : undefined;
  return {
    backendUrl: str(r.backendUrl, DEFAULT_CONFIG.backendUrl).replace(/\/+$/, ''),
    defaultPreset: str(r.defaultPreset, DEFAULT_CONFIG.defaultPreset) || DEFAULT_CONFIG.defaultPreset,
    topK: num(r.topK, 1, 100, DEFAULT_CONFIG.topK, true),
    minScore: num(r.minScore, 0, 1, DEFAULT_CONFIG.minScore, false),
    minSlices: num(r.minSlices, 1, 10000, DEFAULT_CONFIG.minSlices, true),
    heatOverlay: r.heatOverlay === true,
    language,
    prepareOnSeriesChange: typeof r.prepareOnSeriesChange === 'boolean' ? r.prepareOnSeriesChange : true,
    model: typeof r.model === 'string' && r.model !== '' ? r.model : undefined,
  };
}
