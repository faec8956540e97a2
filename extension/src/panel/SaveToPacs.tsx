/**
 * "Save to PACS": a box per lesion of the answer (the confident ones ticked), the button, and what
 * came of it (stored, or the service's message with the PACS's status). The service writes the
 * documents; the panel only names the lesions.
 */
import { lesionTitle, lesionWhere, type LesionRef } from '../controller/answer';
import { PROBLEM_STRING } from '../controller/problems';
import type { SaveState, SliceFinderController } from '../controller/SliceFinderController';
import type { Translate } from '../i18n/strings';

interface Props {
  lesions: LesionRef[];
  chosen: number[];
  save?: SaveState;
  controller: SliceFinderController;
  t: Translate;
}

export function SaveToPacs({ lesions, chosen, save, controller, t }: Props) {
  // A lesion listed under several findings is one box.
  const unique = [...new Map(lesions.map((l) => [l.lesion.id, l])).values()];
  const saving = save?.status === 'saving';
  return (
    <fieldset className="sf-save" data-testid="sf-save">
      <legend>{t('save.title')}</legend>
      <p className="sf-hint">{t('save.hint')}</p>
      <div role="group" aria-label={t('save.choose')}>
        {unique.map(({ lesion }) => (
          <label key={lesion.id} className="sf-check">
            <input
              type="checkbox"
              data-save-lesion={lesion.id}
              checked={chosen.includes(lesion.id)}
              onChange={(e) => controller.setChosen(lesion.id, e.target.checked)}
              disabled={saving}
            />
            {lesionTitle(t, lesion)}, {lesionWhere(t, lesion)}
          </label>
        ))}
      </div>
      <button type="button" className="sf-primary" onClick={() => void controller.saveReport()} disabled={saving || chosen.length === 0}>
        {t('save.button', { count: chosen.length })}
      </button>
      {chosen.length === 0 && !save && <p className="sf-hint">{t('save.none')}</p>}
      {save?.status === 'saving' && (
        <p role="status" className="sf-notice" data-save="saving">
          {t('save.saving', { count: save.count })}
        </p>
      )}
      {save?.status === 'saved' && (
        <p role="status" className="sf-notice" data-save="saved" data-sop-instance-uids={save.result.sopInstanceUIDs.join(' ')}>
          {t('save.done', { count: save.count })}
        </p>
      )}
      {save?.status === 'failed' && (
        <p role="alert" className="sf-alert" data-save="failed" data-problem={save.problem.kind}>
          {save.problem.kind === 'unreachable' ? t(PROBLEM_STRING.unreachable) : t('save.failed', { detail: save.detail })}
        </p>
      )}
    </fieldset>
  );
}
