/** The Slice Finder side panel, rendered inside its own React root (the island). */
import { useEffect, useId, useMemo, useSyncExternalStore, type KeyboardEvent } from 'react';
import { characterCount, MAX_QUERY_CHARS, MAX_TOP_K } from '../../../contract/limits';
import type { SliceFinderController } from '../controller/SliceFinderController';
import { PROBLEM_STRING, type Problem } from '../controller/problems';
import { presetLabel, translator, type StringKey, type Translate } from '../i18n/strings';
import type { ViewerFacade } from '../viewer/facade';
import { LesionList } from './LesionList';
import { QueryReading } from './QueryReading';
import { SaveToPacs } from './SaveToPacs';

export interface PanelProps {
  controller: SliceFinderController;
  viewer: ViewerFacade;
}

function Message({ problem, t, role }: { problem: Problem; t: Translate; role: 'alert' | 'status' }) {
  return (
    <div role={role} className={role === 'alert' ? 'sf-alert' : 'sf-notice'} data-problem={problem.kind}>
      {t(PROBLEM_STRING[problem.kind], problem.vars)}
    </div>
  );
}

export function SliceFinderPanel({ controller, viewer }: PanelProps) {
  const state = useSyncExternalStore(controller.subscribe, controller.getState);
  const t = useMemo(() => translator(state.lang), [state.lang]);
  const ids = useId();
  const id = (name: string) => `${ids}-${name}`;

  useEffect(() => {
    controller.refreshLanguage();
    controller.startWatching();
    const onStorage = () => controller.refreshLanguage();
    window.addEventListener('storage', onStorage);
    return () => {
      window.removeEventListener('storage', onStorage);
      controller.stopWatchingSeries();
    };
  }, [controller]);

  const searching = state.status === 'searching';
  const onQueryKey = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    // Enter while an input method is composing (Chinese) picks a candidate; it must not search.
    if (e.key !== 'Enter' || e.shiftKey || e.nativeEvent.isComposing || e.keyCode === 229) return;
    e.preventDefault();
    void controller.search();
  };
  const hasResults = state.lesions.length > 0;
  // Alt+arrows step from anywhere in the panel (the query box included), like the hotkeys on the image.
  const panelKeys: Record<string, () => void> = {
    ArrowDown: () => controller.next(),
    ArrowUp: () => controller.previous(),
    ArrowRight: () => controller.nextSlice(),
    ArrowLeft: () => controller.previousSlice(),
  };
  const onPanelKey = (e: KeyboardEvent<HTMLElement>) => {
    const action = e.altKey && !e.ctrlKey && !e.metaKey ? panelKeys[e.key] : undefined;
    if (!action) return;
    // Handled here, so the host's hotkey for the same keys does not step a second time (and Alt+Left is not "back").
    e.preventDefault();
    e.stopPropagation();
    action();
  };
  const chars = characterCount(state.query);
  const tooLong = chars > MAX_QUERY_CHARS;
  const progress = state.progress;
  const progressText = progress
    ? `${t(`phase.${progress.phase}` as StringKey)}${progress.total ? ` ${progress.done ?? 0}/${progress.total}` : ''}`
    : '';

  return (
    <section
      className="sf-panel"
      aria-label={t('title')}
      lang={state.lang === 'zh' ? 'zh-CN' : 'en'}
      onKeyDown={onPanelKey}
      // A language changed in the viewer's preferences fires no event in this tab: look again on use.
      onFocus={() => controller.refreshLanguage()}
      onMouseEnter={() => controller.refreshLanguage()}
    >
      <h2>{t('title')}</h2>
      <div>
        <label htmlFor={id('query')}>{t('queryLabel')}</label>
        <textarea
          id={id('query')}
          rows={3}
          value={state.query}
          placeholder={t('queryPlaceholder')}
          aria-describedby={id('query-hint')}
          onChange={(e) => controller.setQuery(e.target.value)}
          onKeyDown={onQueryKey}
          aria-invalid={tooLong}
        />
        <div className="sf-label-row">
          <p id={id('query-hint')} className="sf-hint">
            {t('queryHint')}
          </p>
          <span className={tooLong ? 'sf-counter sf-over' : 'sf-counter'} data-testid="sf-counter" aria-live={tooLong ? 'polite' : 'off'}>
            {t('counter', { count: chars, max: MAX_QUERY_CHARS })}
          </span>
        </div>
        {tooLong && <Message problem={{ kind: 'queryTooLong', vars: { count: chars, max: MAX_QUERY_CHARS } }} t={t} role="alert" />}
      </div>
      {state.response && <QueryReading query={state.response.query} t={t} />}
      <div>
        <label htmlFor={id('preset')}>{t('presetLabel')}</label>
        <select id={id('preset')} value={state.preset} onChange={(e) => controller.setPreset(e.target.value)}>
          {state.presets.map((p) => (
            <option key={p} value={p}>
              {presetLabel(t, p)}
            </option>
          ))}
        </select>
      </div>
      <div className="sf-row">
        <div>
          <div className="sf-label-row">
            <label htmlFor={id('topk')}>{t('topKLabel')}</label>
            <span aria-hidden="true">{state.topK}</span>
          </div>
          <input
            id={id('topk')}
            type="range"
            min={1}
            max={Math.max(20, Math.min(MAX_TOP_K, state.topK))}
            step={1}
            value={state.topK}
            onChange={(e) => controller.setTopK(Number(e.target.value))}
          />
        </div>
        <div>
          <div className="sf-label-row">
            <label htmlFor={id('minscore')}>{t('minScoreLabel')}</label>
            <span aria-hidden="true">{state.minScore.toFixed(2)}</span>
          </div>
          <input
            id={id('minscore')}
            type="range"
            min={0}
            max={1}
            step={0.05}
            value={state.minScore}
            aria-valuetext={state.minScore.toFixed(2)}
            onChange={(e) => controller.setMinScore(Number(e.target.value))}
          />
        </div>
      </div>
      <div className="sf-row">
        <button type="button" className="sf-primary" onClick={() => void controller.search()} disabled={searching || tooLong}>
          {t('find')}
        </button>
        {searching ? (
          <button type="button" onClick={() => controller.cancel()}>
            {t('cancel')}
          </button>
        ) : (
          <button type="button" onClick={() => controller.clear()}>
            {t('clear')}
          </button>
        )}
      </div>
      <label className="sf-check">
        <input type="checkbox" checked={state.heat} onChange={(e) => controller.setHeat(e.target.checked)} disabled={!hasResults} />
        {t('heat')}
      </label>
      {progress && (
        <div>
          <div
            className="sf-progress"
            role="progressbar"
            aria-label={t('progressLabel')}
            aria-valuemin={0}
            aria-valuemax={100}
            aria-valuenow={Math.round(progress.fraction * 100)}
            aria-valuetext={progressText}
          >
            <div style={{ width: `${Math.round(progress.fraction * 100)}%` }} />
          </div>
          <p className="sf-hint" aria-live="polite">
            {progressText}
          </p>
        </div>
      )}
      {state.error && !(tooLong && state.error.kind === 'queryTooLong') && <Message problem={state.error} t={t} role="alert" />}
      {state.notices.map((n) => (
        <Message key={n.kind} problem={n} t={t} role="status" />
      ))}
      {state.response && state.status === 'done' && (
        <div className="sf-muted" aria-live="polite">
          <p style={{ margin: 0 }}>{t('summary', { count: state.lesions.length, ms: Math.round(state.response.timings.total ?? 0) })}</p>
          <p style={{ margin: 0 }}>
            {t('model', { id: state.response.model.id, version: state.response.model.version, provider: state.response.model.executionProvider })}
          </p>
        </div>
      )}
      {hasResults && state.response && state.series && (
        <>
          <div className="sf-row">
            <button type="button" onClick={() => controller.previous()} aria-keyshortcuts="Alt+ArrowUp" disabled={(state.selected?.lesion ?? 0) <= 0}>
              {t('previous')}
            </button>
            <button
              type="button"
              onClick={() => controller.next()}
              aria-keyshortcuts="Alt+ArrowDown"
              disabled={(state.selected?.lesion ?? -1) >= state.lesions.length - 1}
            >
              {t('next')}
            </button>
          </div>
          <p className="sf-hint">{t('stepHint')}</p>
          <LesionList
            response={state.response}
            lesions={state.lesions}
            series={state.series}
            selected={state.selected}
            controller={controller}
            viewer={viewer}
            t={t}
          />
          <SaveToPacs lesions={state.lesions} chosen={state.chosen} save={state.save} controller={controller} t={t} />
        </>
      )}
    </section>
  );
}
