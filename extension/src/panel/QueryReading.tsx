/** The query text as the service read it: recognised terms highlighted, text it did not understand marked. */
import type { ParsedQuery, Term } from '../../../contract/schemas';
import { tOr, type Translate } from '../i18n/strings';

type Segment = { text: string; term?: Term; unknown?: boolean };

/** Splits the text into runs by what covers each character (a term wins over an unknown span). */
export function segmentQuery(query: ParsedQuery): Segment[] {
  const n = query.text.length;
  const termAt: (Term | undefined)[] = new Array(n);
  const unknownAt: boolean[] = new Array(n).fill(false);
  for (const f of query.findings) {
    for (const t of f.terms) {
      for (let i = Math.max(0, t.span.start); i < Math.min(n, t.span.end); i++) termAt[i] ??= t;
    }
  }
  for (const u of query.unknown) for (let i = Math.max(0, u.start); i < Math.min(n, u.end); i++) unknownAt[i] = true;
  const segments: Segment[] = [];
  for (let i = 0; i < n; i++) {
    const term = termAt[i];
    const unknown = !term && unknownAt[i];
    const last = segments[segments.length - 1];
    if (last && last.term === term && !!last.unknown === unknown) last.text += query.text[i];
    else segments.push({ text: query.text[i], term, unknown });
  }
  return segments;
}

export function QueryReading({ query, t }: { query: ParsedQuery; t: Translate }) {
  const segments = segmentQuery(query);
  return (
    <div>
      <p className="sf-reading" aria-label={t('readingLabel')} data-testid="sf-reading" style={{ margin: 0 }}>
        {segments.map((s, i) => {
          if (s.term) {
            // A term kind newer than this panel shows its name rather than breaking the reading.
            const kind = tOr(t, `kind.${s.term.kind}`, s.term.kind);
            return (
              <mark key={i} className={`sf-term${s.term.negated ? ' sf-negated' : ''}`} data-kind={s.term.kind} title={kind}>
                {s.text}
              </mark>
            );
          }
          if (s.unknown) {
            return (
              <span key={i} className="sf-unknown" data-unknown="true" title={t('legendUnknown')}>
                {s.text}
              </span>
            );
          }
          return <span key={i}>{s.text}</span>;
        })}
      </p>
      <div className="sf-legend" aria-hidden="true">
        <span>
          <mark className="sf-term">abc</mark> {t('legendRecognised')}
        </span>
        <span>
          <span className="sf-unknown">abc</span> {t('legendUnknown')}
        </span>
      </div>
    </div>
  );
}
