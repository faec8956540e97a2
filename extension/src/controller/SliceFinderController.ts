/**
 * The panel's state and actions without React: search (and cancel), step through lesions and their
 * slices, draw, clear, the heat overlay, prepare on series change. The commands module and the React
 * panel share one instance, so `sliceFinder.next` from a hotkey and a click in the list move the same
 * selection.
 */
import type { ReportResponse, RerankRequest, SeriesRef, SliceFinderClient } from '../../../contract/client';
import { characterCount, MAX_QUERY_CHARS } from '../../../contract/limits';
import type { RerankAnswer } from '../../../contract/schemas';
import { BUILTIN_PRESETS, type SliceFinderConfig } from '../config';
import { browserLanguageEnv, detectLanguage, type UiLang } from '../i18n/language';
import { translator } from '../i18n/strings';
import type { ActiveSeries, ViewerFacade } from '../viewer/facade';
import { bestRegion, flattenLesions, lesionLabel, notConfidentReason, queryProblem, termText, type LesionRef } from './answer';
import { noticesFor, problemFromError, type Problem } from './problems';
import { advance, START_PROGRESS, type ProgressView } from './progress';

export type Status = 'idle' | 'searching' | 'done' | 'failed';

export interface Selection {
  lesion: number;
  slice: number;
}

/** "Save to PACS": in flight, stored (the UIDs the service answered), or refused (why). */
export type SaveState =
  | { status: 'saving'; count: number }
  | { status: 'saved'; count: number; result: ReportResponse }
  | { status: 'failed'; problem: Problem; detail: string };

export interface PanelState {
  query: string;
  preset: string;
  topK: number;
  minScore: number;
  presets: string[];
  status: Status;
  progress?: ProgressView;
  response?: RerankAnswer;
  /** The series the response belongs to (its imageIds map slice indices to images). */
  series?: ActiveSeries;
  /** The lesions of every finding group, in the order the keys step through. */
  lesions: LesionRef[];
  /** The lesion shown (index into `lesions`) and which of its slices (index into its regions). */
  selected?: Selection;
  /** The heat overlay is shown. */
  heat: boolean;
  /** Why there are no results (blocking). */
  error?: Problem;
  /** Said alongside results. */
  notices: Problem[];
  lang: UiLang;
  /** Lesion ids ticked for "Save to PACS" (the confident ones when an answer comes). */
  chosen: number[];
  save?: SaveState;
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
  /** Confident lesions outlined when the answer came: they stay outlined (at their best slice) while others are browsed. */
  private readonly kept = new Set<string>();
  /** The request the answer shown came from: a save names the same series, query, preset and model. */
  private answered?: RerankRequest;

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
      lesions: [],
      heat: config.heatOverlay,
      notices: [],
      lang: this.readLanguage(),
      chosen: [],
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
    // A refusal of the length is about the text: it goes when the text changes (the counter says the rest).
    this.set(this.state.error?.kind === 'queryTooLong' ? { query, error: undefined, status: 'idle' } : { query });
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
    if (shown && seriesKey(shown) !== key) this.reset();
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
    this.dropAnswer();
    const base = { notices: [], progress: undefined };
    if (query === '') {
      this.set({ ...base, status: 'failed', error: { kind: 'emptyQuery' } });
      return;
    }
    const count = characterCount(query);
    if (count > MAX_QUERY_CHARS) {
      this.set({ ...base, status: 'failed', error: { kind: 'queryTooLong', vars: { count, max: MAX_QUERY_CHARS } } });
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
      this.answered = body;
      this.showAnswer(response, series, body.minScore ?? 0);
    } catch (err) {
      if (this.inFlight !== abort) return;
      this.inFlight = undefined;
      const problem = problemFromError(err);
      this.set({ status: problem ? 'failed' : 'idle', progress: undefined, error: problem });
    }
  }

  private showAnswer(response: RerankAnswer, series: ActiveSeries, minScore: number): void {
    const lesions = flattenLesions(response);
    const t = translator(this.state.lang);
    const problem = queryProblem(response.query);
    const notices = problem ? [problem] : noticesFor(response, (id) => termText(response.query, id), minScore);
    const confident = lesions.filter((l) => l.lesion.confident);
    if (!problem && lesions.length > 0 && confident.length === 0) {
      notices.push({ kind: 'noConfidentMatch', vars: { reason: notConfidentReason(t, response.query, lesions[0].lesion) } });
    }
    const chosen = [...new Set(confident.map((l) => l.lesion.id))];
    this.set({ status: 'done', progress: undefined, response, series, lesions, selected: undefined, notices, chosen, save: undefined });
    if (problem) return;
    // Confident lesions stay outlined on their best slice; the closest one is outlined (dashed) even when none is confident.
    for (const ref of confident) {
      this.outline(ref, bestRegion(ref.lesion));
      this.kept.add(ref.key);
    }
    if (lesions.length > 0) this.select(0);
    if (this.state.heat) void this.renderHeat();
  }

  /** Outlines one lesion on one of its slices (an OHIF measurement with its label). */
  private outline(ref: LesionRef, regionIndex: number): number | undefined {
    const { series } = this.state;
    const region = ref.lesion.regions[regionIndex];
    if (!series || !region) return undefined;
    const imageIndex = Math.min(series.imageIds.length - 1, Math.max(0, region.index));
    this.deps.viewer.drawLesion({
      viewportId: series.viewportId,
      imageId: series.imageIds[imageIndex],
      region,
      label: lesionLabel(translator(this.state.lang), ref.lesion),
      confident: ref.lesion.confident,
      lesion: ref.key,
    });
    return imageIndex;
  }

  /** Shows lesion `i` on one of its slices (its best by default): jump there and outline it. */
  select(i: number, slice?: number): void {
    const { lesions, series, selected } = this.state;
    const ref = lesions[i];
    if (!ref || !series) return;
    const regionIndex = Math.min(ref.lesion.regions.length - 1, Math.max(0, slice ?? bestRegion(ref.lesion)));
    // The lesion left behind: a kept one goes back to its best slice, a browsed one goes.
    const previous = selected ? lesions[selected.lesion] : undefined;
    if (previous && previous.key !== ref.key) {
      if (!this.kept.has(previous.key)) this.deps.viewer.removeLesion(previous.key);
      else if (selected && selected.slice !== bestRegion(previous.lesion)) this.outline(previous, bestRegion(previous.lesion));
    }
    this.set({ selected: { lesion: i, slice: regionIndex } });
    const region = ref.lesion.regions[regionIndex];
    if (!region) return;
    this.deps.viewer.jumpToImage(Math.min(series.imageIds.length - 1, Math.max(0, region.index)));
    this.outline(ref, regionIndex);
  }

  next(): void {
    const n = this.state.lesions.length;
    if (n === 0) return;
    this.select(Math.min(n - 1, (this.state.selected?.lesion ?? -1) + 1));
  }

  previous(): void {
    if (this.state.lesions.length === 0) return;
    this.select(Math.max(0, (this.state.selected?.lesion ?? 1) - 1));
  }

  /** The next (or previous) slice of the selected lesion. */
  stepSlice(delta: 1 | -1): void {
    const sel = this.state.selected;
    if (!sel) {
      if (this.state.lesions.length > 0) this.select(0);
      return;
    }
    const regions = this.state.lesions[sel.lesion]?.lesion.regions ?? [];
    const slice = Math.min(regions.length - 1, Math.max(0, sel.slice + delta));
    if (slice !== sel.slice) this.select(sel.lesion, slice);
  }

  nextSlice(): void {
    this.stepSlice(1);
  }

  previousSlice(): void {
    this.stepSlice(-1);
  }

  /** Shows or hides the heat overlay (a labelmap of every listed lesion's extent). */
  setHeat(on: boolean): void {
    this.set({ heat: on });
    if (on) void this.renderHeat();
    else this.deps.viewer.hideHeat();
  }

  toggleHeat(): void {
    this.setHeat(!this.state.heat);
  }

  private async renderHeat(): Promise<void> {
    const { series, lesions } = this.state;
    if (!series || lesions.length === 0) return;
    const t = translator(this.state.lang);
    // A lesion listed under several findings is painted once, with its best score.
    const byId = new Map<number, LesionRef>();
    for (const ref of lesions) if ((byId.get(ref.lesion.id)?.lesion.score ?? -1) < ref.lesion.score) byId.set(ref.lesion.id, ref);
    const heat = [...byId.values()].map(({ lesion }) => ({
      label: lesionLabel(t, lesion),
      score: lesion.score,
      regions: lesion.regions.map((r) => ({ imageIndex: r.index, x: r.x, y: r.y, w: r.w, h: r.h })),
    }));
    try {
      await this.deps.viewer.showHeat(series, heat, t('heatTitle'));
    } catch {
      // A viewer without labelmap support keeps the outlines; the checkbox says what was asked.
    }
  }

  /** Ticks or unticks a lesion (by id) for "Save to PACS". */
  setChosen(id: number, on: boolean): void {
    const chosen = this.state.chosen.filter((x) => x !== id);
    if (on && this.state.lesions.some((l) => l.lesion.id === id)) chosen.push(id);
    this.set({ chosen });
  }

  /**
   * "Save to PACS": the service writes a structured report and key images of these lesions (the
   * ticked ones by default) into the series' study. Resolves with the state it ends in.
   */
  async saveReport(ids: number[] = this.state.chosen): Promise<SaveState | undefined> {
    const request = this.answered;
    const known = new Set(this.state.lesions.map((l) => l.lesion.id));
    const lesions = [...new Set(ids)].filter((id) => known.has(id));
    if (!request || !this.state.response || lesions.length === 0 || this.state.save?.status === 'saving') return this.state.save;
    this.set({ save: { status: 'saving', count: lesions.length } });
    let save: SaveState;
    try {
      const result = await this.deps.api.saveReport({
        series: request.series,
        query: request.query,
        lesions,
        ...(request.preset ? { preset: request.preset } : {}),
        ...(request.model ? { model: request.model } : {}),
      });
      save = { status: 'saved', count: lesions.length, result };
    } catch (err) {
      const problem = problemFromError(err) ?? { kind: 'cancelled' };
      // The service's own words say what the PACS did (its status included).
      save = { status: 'failed', problem, detail: err instanceof Error ? err.message : String(err) };
    }
    // An answer replaced meanwhile keeps its own (empty) save state.
    if (this.answered === request) this.set({ save });
    return save;
  }

  /** Stops the search in flight: the request is aborted, and with it the server's work done only for it. */
  cancel(): void {
    if (!this.inFlight) return;
    this.abortInFlight();
    this.set({ status: 'idle', progress: undefined, error: undefined, notices: [{ kind: 'cancelled' }] });
  }

  /** "Clear highlights": removes what the extension drew (outlines, heat overlay); the list, the query and the settings stay. */
  clear(): void {
    this.kept.clear();
    this.deps.viewer.clearDrawings();
    this.set({ heat: false });
  }

  /** Drops the answer and its drawings (another series is shown, the mode exits). */
  reset(): void {
    this.abortInFlight();
    this.dropAnswer();
    this.set({ status: 'idle', progress: undefined, error: undefined, notices: [] });
  }

  private dropAnswer(): void {
    this.kept.clear();
    this.deps.viewer.clearDrawings();
    this.answered = undefined;
    this.set({ response: undefined, series: undefined, lesions: [], selected: undefined, chosen: [], save: undefined });
  }

  private abortInFlight(): void {
    const a = this.inFlight;
    this.inFlight = undefined;
    a?.abort();
  }

  dispose(): void {
    this.reset();
    this.watchers = 1;
    this.stopWatchingSeries();
    this.listeners.clear();
  }
}
