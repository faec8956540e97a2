/**
 * The answer in lesions: one section (an ARIA group) per finding of the description, one option per
 * lesion with a thumbnail cropped to it, its size and position, slice range, score against the
 * confidence cut, and matched and mismatched chips. One listbox for all sections: Up/Down step through
 * the lesions, Right/Left through the slices of the selected one, Home/End go to the ends.
 */
import type { KeyboardEvent } from 'react';
import type { RerankAnswer } from '../../../contract/schemas';
import {
  CONFIDENT_SCORE,
  findingText,
  isNegatedOnly,
  lesionTitle,
  lesionWhere,
  matchedTexts,
  mismatchText,
  termText,
  type LesionRef,
} from '../controller/answer';
import type { Selection, SliceFinderController } from '../controller/SliceFinderController';
import type { Translate } from '../i18n/strings';
import type { ActiveSeries, ViewerFacade } from '../viewer/facade';
import { Thumbnail } from './Thumbnail';

interface Props {
  response: RerankAnswer;
  lesions: LesionRef[];
  series: ActiveSeries;
  selected?: Selection;
  controller: SliceFinderController;
  viewer: ViewerFacade;
  t: Translate;
}

export const optionId = (i: number) => `sf-lesion-${i}`;

function GroupNote({ response, group, t }: { response: RerankAnswer; group: number; t: Translate }) {
  const g = response.findings[group];
  const finding = response.query.findings[g.finding];
  const unsupported = response.unsupported.filter((u) => u.finding === g.finding);
  const notes: string[] = [];
  if (finding && isNegatedOnly(finding)) notes.push(t('group.negated'));
  else if (unsupported.length > 0 && g.lesions.length === 0) {
    const terms = unsupported.flatMap((u) => u.terms.map((id) => termText(response.query, id)));
    notes.push(t('group.unsupported', { terms: [...new Set(terms)].join(', ') || unsupported.map((u) => u.reason).join('; ') }));
  }
  if (notes.length === 0 && g.lesions.length === 0) notes.push(t('group.empty'));
  if (g.lesions.length > 0 && !g.lesions.some((l) => l.confident)) notes.push(t('group.noConfident'));
  return (
    <>
      {notes.map((n, i) => (
        <li key={i} role="presentation" className="sf-group-note" data-note={group}>
          {n}
        </li>
      ))}
    </>
  );
}

function LesionOption({ ref_, i, selected, response, series, controller, viewer, t }: Omit<Props, 'lesions' | 'selected'> & { ref_: LesionRef; i: number; selected?: Selection }) {
  const { lesion } = ref_;
  const isSelected = selected?.lesion === i;
  const best = lesion.regions.find((r) => r.index === lesion.slices.best) ?? lesion.regions[0];
  const imageId = series.imageIds[best?.index ?? 0] ?? series.imageIds[0];
  const matched = matchedTexts(response.query, lesion);
  const shown = isSelected && selected ? lesion.regions[selected.slice] : undefined;
  return (
    <li
      id={optionId(i)}
      role="option"
      aria-selected={isSelected}
      data-lesion-id={lesion.id}
      data-finding={ref_.finding}
      data-best={lesion.slices.best}
      data-confident={lesion.confident}
      onClick={() => controller.select(i)}
    >
      <Thumbnail viewer={viewer} imageId={imageId} box={best} fallback={String(lesion.slices.best + 1)} />
      <div className="sf-result-body">
        <strong>{lesionTitle(t, lesion)}</strong>
        <span>{lesionWhere(t, lesion)}</span>
        <span className="sf-muted">{t('lesionSlices', { first: lesion.slices.first + 1, last: lesion.slices.last + 1, best: lesion.slices.best + 1 })}</span>
        {shown && (
          <span className="sf-muted" data-testid="sf-slice-of-lesion">
            {t('sliceOfLesion', { n: shown.index + 1, i: (selected?.slice ?? 0) + 1, count: lesion.regions.length })}
          </span>
        )}
        <span className={lesion.confident ? 'sf-score sf-confident' : 'sf-score'}>
          {t('score', { score: lesion.score.toFixed(2) })} · {lesion.confident ? t('confident') : t('belowCut', { cut: CONFIDENT_SCORE.toFixed(2) })}
        </span>
        <div className="sf-scorebar" aria-hidden="true">
          <div style={{ width: `${Math.round(Math.min(1, Math.max(0, lesion.score)) * 100)}%` }} />
          <span className="sf-cut" style={{ left: `${CONFIDENT_SCORE * 100}%` }} />
        </div>
        <div className="sf-chips" aria-label={t('matched', { terms: matched.join(', ') || t('noMatchedTerms') })}>
          {matched.map((term, k) => (
            <span key={`m${k}`} className="sf-chip">
              {term}
            </span>
          ))}
          {lesion.mismatched.map((m, k) => (
            <span key={`x${k}`} className="sf-chip sf-mismatch" data-mismatch={m.term}>
              {mismatchText(t, response.query, m)}
            </span>
          ))}
          {matched.length === 0 && lesion.mismatched.length === 0 && <span className="sf-muted">{t('noMatchedTerms')}</span>}
        </div>
      </div>
    </li>
  );
}

export function LesionList(props: Props) {
  const { response, lesions, selected, controller, t } = props;
  const n = lesions.length;
  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    const current = selected?.lesion ?? 0;
    const keys: Record<string, () => void> = {
      ArrowDown: () => controller.next(),
      ArrowUp: () => controller.previous(),
      ArrowRight: () => controller.nextSlice(),
      ArrowLeft: () => controller.previousSlice(),
      Home: () => controller.select(0),
      End: () => controller.select(n - 1),
      Enter: () => controller.select(current),
      ' ': () => controller.select(current),
    };
    const action = keys[e.key];
    if (!action || e.altKey || e.ctrlKey || e.metaKey) return;
    e.preventDefault();
    // OHIF's hotkeys (document-level Mousetrap) bind the arrows to images and viewports: keep the key ours.
    e.stopPropagation();
    action();
  };
  return (
    <div>
      <p id="sf-results-hint" className="sf-hint">
        {t('resultsHint')}
      </p>
      <div
        role="listbox"
        tabIndex={0}
        aria-label={t('resultsLabel')}
        aria-describedby="sf-results-hint"
        aria-activedescendant={selected ? optionId(selected.lesion) : undefined}
        onKeyDown={onKeyDown}
        className="sf-listbox"
      >
        {response.findings.map((g, group) => {
          const heading = t('findingHeading', { n: g.finding + 1, text: findingText(response.query, g.finding) });
          return (
            <ul key={group} role="group" aria-label={heading} data-finding={g.finding}>
              <li role="presentation" className="sf-group-heading">
                {heading}
              </li>
              <GroupNote response={response} group={group} t={t} />
              {lesions.map((ref_, i) =>
                ref_.group === group ? <LesionOption key={ref_.key} {...props} ref_={ref_} i={i} /> : null,
              )}
            </ul>
          );
        })}
      </div>
    </div>
  );
}
