/**
 * The panel's state and actions without React: search, step, clear, prepare on series change.
 * The commands module and the React panel share one instance, so `sliceFinder.next` from a hotkey
 * and a click in the list move the same selection.
 */
import type { RerankRequest, SeriesRef, SliceFinderClient } from '../../../server/http/client';
import type { RerankResponse, SliceResult } from '../../../server/rerank/response';
import { BUILTIN_PRESETS, type SliceFinderConfig } from '../config';
import { browserLanguageEnv, detectLanguage, type UiLang } from '../i18n/language';
import type { ActiveSeries, ViewerFacade } from '../viewer/facade';
import { noticesFor, problemFromError, type Problem } from './problems';
import { advance, START_PROGRESS, type ProgressView } from './progress';

export type Status = 'idle' | 'searching' | 'done' | 'failed';

export interface PanelState {
  query: string;
  preset: string;
  topK: number;
  minScore: number;
  presets: string[];
  status: Status;
  progress?: ProgressView;
  response?: RerankResponse;
  /** The series the response belongs to (its imageIds map result indices to images). */
  series?: ActiveSeries;
  /** Index into response.results of the result shown, -1 for none. */
  selected: number;
  /** Why there are no results (blocking). */
  error?: Problem;
  /** Said alongside results. */
  notices: Problem[];
  lang: UiLang;
}

export interface SearchOptions {
  query?: string;
  preset?: string;
  topK?: number;
  minScore?: number;
}

export interface ControllerDeps {
  api: SliceFinderClient;
  viewer: ViewerFacade;
  config: SliceFinderConfig;
  /** Reads the UI language; defaults to the browser's view of the viewer's i18next language. */
  language?: () => UiLang;
}

type Listener = () => void;

function seriesKey(s: ActiveSeries | undefined): string {
  // The viewport is part of it: results are drawn in the viewport that was searched.
  return s ? `${s.viewportId}|${s.seriesInstanceUID}|${s.imageIds.length}|${s.imageIds[0]}|${s.imageIds[s.imageIds.length - 1]}` : '';
}

export class SliceFinderController {
  private state: PanelState;
  private readonly listeners = new Set<Listener>();
  private inFlight?: AbortController;
  /** The series of the search in flight: results for it are void once the viewport shows another. */
  private pendingSeries?: ActiveSeries;
  private stopWatching?: () => void;
  private watchers = 0;
  private lastSeriesKey?: string;
  private presetsLoaded = false;
  private readonly readLanguage: () => UiLang;

  constructor(private readonly deps: ControllerDeps) {
    const { config } = deps;
    this.readLanguage = deps.language ?? (() => detectLanguage(browserLanguageEnv(), config.language));
    const presets = BUILTIN_PRESETS.includes(config.defaultPreset) ? BUILTIN_PRESETS : [config.defaultPreset, ...BUILTIN_PRESETS];
    this.state = {
      query: '',
      preset: config.defaultPreset,
      topK: config.topK,
      minScore: config.minScore,
      presets,
      status: 'idle',
      selected: -1,
      notices: [],
      lang: this.readLanguage(),
    };
  }

  getState = (): PanelState => this.state;

  subscribe = (listener: Listener): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  private set(patch: Partial<PanelState>): void {
    this.state = { ...this.state, ...patch };
    for (const l of [...this.listeners]) l();
  }

  setQuery(query: string): void {
    this.set({ query });
  }
  setPreset(preset: string): void {
    this.set({ preset });
  }
  setTopK(topK: number): void {
    this.set({ topK: Math.min(100, Math.max(1, Math.round(topK))) });
  }
  setMinScore(minScore: number): void {
    this.set({ minScore: Math.min(1, Math.max(0, minScore)) });
  }

  refreshLanguage(): void {
    const lang = this.readLanguage();
    if (lang !== this.state.lang) this.set({ lang });
  }

  /** Starts following the active series (prepare on change); counted, so panel and mode can both ask. */
  startWatching(): void {
    this.watchers += 1;
    if (this.watchers > 1) return;
    this.stopWatching = this.deps.viewer.onActiveSeriesChange(() => this.onSeriesChanged());
    this.onSeriesChanged();
    void this.loadPresets();
  }

  stopWatchingSeries(): void {
    this.watchers = Math.max(0, this.watchers - 1);
    if (this.watchers > 0) return;
    this.stopWatching?.();
    this.stopWatching = undefined;
    this.lastSeriesKey = undefined;
  }

  private async loadPresets(): Promise<void> {
    if (this.presetsLoaded) return;
    try {
      const { presets } = await this.deps.api.models();
      if (Array.isArray(presets) && presets.length > 0) {
        this.presetsLoaded = true;
        const list = presets.includes(this.state.preset) ? presets : [this.state.preset, ...presets];
        this.set({ presets: list });
      }
    } catch {
      // The built-in list stays; a search will report an unreachable backend.
    }
  }

  private seriesRef(series: ActiveSeries): SeriesRef {
    const wadoRoot = this.deps.viewer.getWadoRoot();
    return {
      source: 'dicomweb',
      ...(wadoRoot ? { wadoRoot } : {}),
      studyInstanceUID: series.studyInstanceUID,
      seriesInstanceUID: series.seriesInstanceUID,
      sopInstanceUIDs: series.sopInstanceUIDs,
    };
  }

  private unsupportedSeries(series: ActiveSeries | undefined): Problem | undefined {
    if (!series) return { kind: 'noSeries' };
    if (series.modality && series.modality.toUpperCase() !== 'CT') return { kind: 'notCt', vars: { modality: series.modality } };
    if (series.imageIds.length < this.deps.config.minSlices) {
      return { kind: 'tooFewSlices', vars: { count: series.imageIds.length, min: this.deps.config.minSlices } };
    }
    return undefined;
  }

  /** Called when the active viewport or its images may have changed. */
  onSeriesChanged(): void {
    const series = this.deps.viewer.getActiveSeries();
    const key = seriesKey(series);
    if (key === this.lastSeriesKey) return;
    this.lastSeriesKey = key;
    const shown = this.state.series ?? (this.inFlight ? this.pendingSeries : undefined);
    if (shown && seriesKey(shown) !== key) this.clear();
    if (!this.deps.config.prepareOnSeriesChange || !series || this.unsupportedSeries(series)) return;
    this.deps.api.prepare(this.seriesRef(series)).catch(() => {
      // Warm-up only: a failure here shows up, with its message, on the next search.
    });
  }

  async search(options: SearchOptions = {}): Promise<void> {
    if (options.query !== undefined) this.setQuery(options.query);
    if (options.preset !== undefined) this.setPreset(options.preset);
    if (options.topK !== undefined) this.setTopK(options.topK);
    if (options.minScore !== undefined) this.setMinScore(options.minScore);
    this.refreshLanguage();
    const query = this.state.query.trim();
    this.abortInFlight();
    this.deps.viewer.clearDrawings();
    const base = { response: undefined, series: undefined, selected: -1, notices: [], progress: undefined };
    if (query === '') {
      this.set({ ...base, status: 'failed', error: { kind: 'emptyQuery' } });
      return;
    }
    const series = this.deps.viewer.getActiveSeries();
    const unsupported = this.unsupportedSeries(series);
    if (unsupported || !series) {
      this.set({ ...base, status: 'failed', error: unsupported });
      return;
    }
    const body: RerankRequest = {
      query,
      preset: this.state.preset,
      series: this.seriesRef(series),
      topK: this.state.topK,
      minScore: this.state.minScore,
      ...(this.deps.config.model ? { model: this.deps.config.model } : {}),
    };
    const abort = new AbortController();
    this.inFlight = abort;
    this.pendingSeries = series;
    this.set({ ...base, status: 'searching', error: undefined, progress: START_PROGRESS });
    try {
      const response = await this.deps.api.rerank(body, {
        signal: abort.signal,
        onProgress: (p) => {
          if (this.inFlight === abort) this.set({ progress: advance(this.state.progress ?? START_PROGRESS, p) });
        },
      });
      if (this.inFlight !== abort) return;
      this.inFlight = undefined;
      this.set({ status: 'done', progress: undefined, response, series, notices: noticesFor(response, body.minScore) });
      if (!response.noConfidentMatch && response.results.length > 0) this.select(0);
    } catch (err) {
      if (this.inFlight !== abort) return;
      this.inFlight = undefined;
      const problem = problemFromError(err);
      if (!problem) {
        this.set({ status: 'idle', progress: undefined });
        return;
      }
      this.set({ status: 'failed', progress: undefined, error: problem });
    }
  }

  /** Viewport index of a result: its own index when the UIDs agree, else found by SOP UID (and frame). */
  private imageIndexOf(result: SliceResult, series: ActiveSeries): number {
    if (series.sopInstanceUIDs[result.index] === result.sopInstanceUID) return result.index;
    let seen = 0;
    for (let i = 0; i < series.sopInstanceUIDs.length; i++) {
      if (series.sopInstanceUIDs[i] !== result.sopInstanceUID) continue;
      seen += 1;
      if (seen === (result.frame ?? 1)) return i;
    }
    return Math.min(series.imageIds.length - 1, Math.max(0, result.index));
  }

  /** Shows result i: jump there, outline its regions (and only ours are replaced). */
  select(i: number): void {
    const { response, series } = this.state;
    const result = response?.results[i];
    if (!result || !series) return;
    const imageIndex = this.imageIndexOf(result, series);
    this.set({ selected: i });
    this.deps.viewer.clearDrawings();
    this.deps.viewer.jumpToImage(imageIndex);
    this.deps.viewer.drawRegions(series.viewportId, series.imageIds[imageIndex], result.regions);
  }

  next(): void {
    const n = this.state.response?.results.length ?? 0;
    if (n === 0) return;
    this.select(Math.min(n - 1, this.state.selected + 1));
  }

  previous(): void {
    const n = this.state.response?.results.length ?? 0;
    if (n === 0) return;
    this.select(Math.max(0, this.state.selected - 1));
  }

  /** "Clear highlights": drawings, results and messages go; the query and settings stay. */
  clear(): void {
    this.abortInFlight();
    this.deps.viewer.clearDrawings();
    this.set({ status: 'idle', progress: undefined, response: undefined, series: undefined, selected: -1, error: undefined, notices: [] });
  }

  private abortInFlight(): void {
    const a = this.inFlight;
    this.inFlight = undefined;
    a?.abort();
  }

  dispose(): void {
    this.clear();
    this.watchers = 1;
    this.stopWatchingSeries();
    this.listeners.clear();
  }
}
