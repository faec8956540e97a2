/**
 * The ranked slices as a listbox: focus stays on the list, arrows step (and jump), Home/End go to
 * the ends, a click selects. The selected option is announced through aria-activedescendant.
 */
import type { KeyboardEvent } from 'react';
import type { SliceFinderController } from '../controller/SliceFinderController';
import { termText } from '../controller/problems';
import type { Translate } from '../i18n/strings';
import type { RerankResponse } from '../../../server/rerank/response';
import type { ActiveSeries, ViewerFacade } from '../viewer/facade';
import { Thumbnail } from './Thumbnail';

interface Props {
  response: RerankResponse;
  series: ActiveSeries;
  selected: number;
  controller: SliceFinderController;
  viewer: ViewerFacade;
  t: Translate;
}

export const optionId = (i: number) => `sf-result-${i}`;

export function ResultList({ response, series, selected, controller, viewer, t }: Props) {
  const n = response.results.length;
  const onKeyDown = (e: KeyboardEvent<HTMLOListElement>) => {
    const keys: Record<string, () => void> = {
      ArrowDown: () => controller.next(),
      ArrowUp: () => controller.previous(),
      Home: () => controller.select(0),
      End: () => controller.select(n - 1),
      Enter: () => controller.select(Math.max(0, selected)),
      ' ': () => controller.select(Math.max(0, selected)),
    };
    const action = keys[e.key];
    if (!action) return;
    e.preventDefault();
    // OHIF's hotkeys (document-level Mousetrap) bind up/down to previous/next image: keep the key ours.
    e.stopPropagation();
    action();
  };
  return (
    <div>
      <p id="sf-results-hint" className="sf-hint">
        {t('resultsHint')}
      </p>
      <ol
        role="listbox"
        tabIndex={0}
        aria-label={t('resultsLabel')}
        aria-describedby="sf-results-hint"
        aria-activedescendant={selected >= 0 ? optionId(selected) : undefined}
        onKeyDown={onKeyDown}
      >
        {response.results.map((r, i) => {
          const imageId = series.imageIds[r.index] ?? series.imageIds[0];
          const sliceLabel = t('slice', { n: r.index + 1, total: series.imageIds.length });
          // Several terms can share one phrase ("right lower lobe" is side and lobe): show each phrase once.
          const terms = [...new Set(r.matched.map((id) => termText(response, id)))];
          return (
            <li
              key={`${r.sopInstanceUID}-${r.frame ?? 0}-${i}`}
              id={optionId(i)}
              role="option"
              aria-selected={i === selected}
              data-index={r.index}
              onClick={() => controller.select(i)}
            >
              <Thumbnail viewer={viewer} imageId={imageId} fallback={String(r.index + 1)} />
              <div className="sf-result-body">
                <strong>{sliceLabel}</strong>
                <span className="sf-muted">{t('score', { score: r.score.toFixed(2) })}</span>
                <div className="sf-scorebar" aria-hidden="true">
                  <div style={{ width: `${Math.round(Math.min(1, Math.max(0, r.score)) * 100)}%` }} />
                </div>
                <div className="sf-chips" aria-label={t('matched', { terms: terms.join(', ') || t('noMatchedTerms') })}>
                  {terms.length === 0 ? (
                    <span className="sf-muted">{t('noMatchedTerms')}</span>
                  ) : (
                    terms.map((term, k) => (
                      <span key={k} className="sf-chip">
                        {term}
                      </span>
                    ))
                  )}
                </div>
              </div>
            </li>
          );
        })}
      </ol>
    </div>
  );
}
