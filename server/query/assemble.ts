/**
 * Groups tokens into findings and builds each `Finding`.
 *
 * Rules, in order of use:
 * - Clauses end at , ; . 。 ， ； and newlines; "and" / 及 / 、 split a clause into segments.
 * - A negation ("no", "without", 未见, 无) denies what follows to the end of its clause, or up to "with"/"but";
 *   "non-" denies only the next term. Anatomy in a denial with no finding of its own is denied too ("右肺门未见肿块").
 * - A segment with a finding type (not denied, not after "with"/伴) starts a new finding once the current one has a
 *   type. A segment without one (only "直径8mm", "with spiculated margins", "left lung") adds to the current finding;
 *   before the first finding such text waits and joins it. A bare calcification or cavity after a lesion describes it
 *   ("结节，部分钙化"). Anatomy listed before a later finding of the same clause goes with it ("纵隔及双肺门淋巴结").
 * - Two types in one segment: adjacent ones are modifier + head ("calcified nodule", "钙化结节": nodule with the
 *   feature calcification); otherwise a new finding starts at the anatomy that precedes the second type
 *   ("右肺上叶结节左肺下叶肿块"), except anatomy introduced by a preposition ("nodule in the RUL"), which stays.
 * - Places joined by "and" that cannot hold together (RUL and LLL) make one finding each.
 * - A diagnosis word (carcinoma, malignancy, tumour, 肺癌, 占位: type rows marked `diagnosis`) heads a finding only
 *   where no other word does: alone it is a mass ("右肺中央型肺癌"); after a finding it joins it and yields no term
 *   ("mass, suspicious for carcinoma"), unless it names a side or lobe that finding cannot have ("RUL mass, LLL carcinoma").
 * - Size words ("large", "tiny", 少量, 肿大) set `sizeWord` (first one wins); denied ones set nothing. Placed right before
 *   a second type, they go with it like other modifiers.
 * - Building: the first value of each anatomy field wins; implied values (RUL → right, lung) fill only what no word
 *   said; ground glass with a solid part is part-solid; a lung-type finding without an organ is in the lung.
 */
import type { Anatomy, Finding, FindingType, Lobe, Margin, Side, Sign, Size, SizeWord, Span, Term, TermKind, Texture } from './finding';
import type { Implied } from './lexicon/types';
import type { Token } from './tokenize';

type Tok = Token;

interface Draft {
  tokens: Tok[];
  head?: Tok;
}

const LOCATION_KINDS = new Set<Tok['kind']>(['organ', 'side', 'lobe', 'lobePart', 'segment', 'level', 'station', 'position']);
const MODIFIER_KINDS = new Set<Tok['kind']>(['texture', 'margin', 'size', 'size-word', 'count', 'sign']);
/** Kinds a negation records in `negations`; denied anatomy is kept as a term but not applied. */
const DENIABLE = new Set<Tok['kind']>(['type', 'sign', 'margin', 'texture']);

const LUNG_TYPES = new Set<FindingType>([
  'nodule', 'mass', 'ground-glass opacity', 'consolidation', 'cavity', 'calcification', 'emphysema', 'atelectasis', 'bronchiectasis',
]);
/** Lesions that calcification or cavitation can describe, and those two. */
const LESION_TYPES = new Set<FindingType>(['nodule', 'mass', 'ground-glass opacity', 'consolidation', 'lymph node']);
const FEATURE_TYPES = new Set<FindingType>(['calcification', 'cavity']);
const PLEURA_TYPES = new Set<FindingType>(['pleural effusion', 'pneumothorax', 'pleural thickening']);

function isConnector(t: Tok, role?: string): boolean {
  return t.kind === 'connector' && (role === undefined || t.value === role);
}

function splitOn<T>(items: T[], isBoundary: (t: T) => boolean, keepBoundary: boolean): T[][] {
  const out: T[][] = [[]];
  for (const it of items) {
    if (isBoundary(it)) {
      out.push(keepBoundary ? [it] : []);
    } else out[out.length - 1].push(it);
  }
  return out.filter((g) => g.length > 0);
}

/** Index in `draft.tokens` where a second head's own words begin (see the module comment). */
function splitIndex(draft: Draft, text: string): number {
  const toks = draft.tokens;
  const headAt = draft.head ? toks.indexOf(draft.head) : -1;
  for (let k = headAt + 1; k < toks.length; k++) {
    if (!LOCATION_KINDS.has(toks[k].kind) || toks[k].negated) continue;
    let p = k - 1;
    while (p > headAt && isConnector(toks[p], 'filler')) p--;
    if (p > headAt && isConnector(toks[p], 'prep')) continue;
    return k;
  }
  // Modifiers written right before the new type ("... 8 mm spiculated mass") belong to it.
  let k = toks.length;
  while (k - 1 > headAt && MODIFIER_KINDS.has(toks[k - 1].kind) && /^\s*$/.test(text.slice(toks[k - 1].end, toks[k]?.start ?? Infinity))) k--;
  return k;
}

/** Sets `negated` / `afterWith` on the tokens of one clause, left to right. */
function markScopes(segments: Tok[][]): void {
  let neg: 'none' | 'clause' | 'next' = 'none';
  let afterWith = false;
  for (const seg of segments) {
    // "结节伴钙化及纵隔淋巴结肿大": anatomy before the type after "and" means a finding elsewhere, not a feature.
    if (isConnector(seg[0], 'and') && afterWith) {
      const firstType = seg.findIndex((t) => t.kind === 'type');
      if (firstType > 0 && seg.slice(0, firstType).some((t) => LOCATION_KINDS.has(t.kind))) afterWith = false;
    }
    for (const t of seg) {
      if (t.kind === 'negation') {
        neg = t.value === 'next' ? 'next' : 'clause';
        afterWith = false;
      } else if (isConnector(t, 'with')) {
        afterWith = true;
        neg = 'none';
      } else if (isConnector(t, 'stop')) {
        afterWith = false;
        neg = 'none';
      } else if (t.kind !== 'connector' && t.kind !== 'unknown') {
        if (neg !== 'none') t.negated = true;
        if (afterWith) t.afterWith = true;
        if (neg === 'next') neg = 'none';
      }
    }
  }
}

/** `prev` is the last token of `toks` but for filler words ("calcified nodule", "mass-like consolidation"). */
function followsDirectly(toks: Tok[], prev: Tok): boolean {
  for (let k = toks.length - 1; k >= 0; k--) {
    if (toks[k] === prev) return true;
    if (!isConnector(toks[k], 'filler')) return false;
  }
  return false;
}

const SIDE_LOBE = new Set<Tok['kind']>(['side', 'lobe']);

/** Side and lobe a group of tokens names, from the words or what they imply. */
function placeOf(toks: Tok[]): { side?: string; lobe?: string } {
  const out: { side?: string; lobe?: string } = {};
  for (const t of toks) {
    if (t.negated) continue;
    if (t.kind === 'side') out.side ??= t.value;
    if (t.kind === 'lobe') out.lobe ??= t.value;
    for (const imp of t.implies ?? []) if (imp.kind === 'side') out.side ??= imp.value;
  }
  return out;
}

/** Two places one finding cannot be in at once (the lingula is part of the LUL, so those two do not clash). */
function placesClash(a: { side?: string; lobe?: string }, b: { side?: string; lobe?: string }): boolean {
  if (a.side && b.side && a.side !== b.side) return true;
  if (!a.lobe || !b.lobe || a.lobe === b.lobe) return false;
  const pair = [a.lobe, b.lobe].sort().join('+');
  return pair !== 'LUL+lingula';
}

/**
 * "nodules in the RUL and LLL", "右肺上叶及左肺下叶结节": places joined by "and" that cannot both hold for one
 * finding (different sides or lobes) make one finding per place, sharing everything else.
 */
function splitCoordinated(draft: Draft): Draft[] {
  const parts = splitOn(draft.tokens, (t) => isConnector(t, 'and'), true);
  const placed = parts.filter((p) => p.some((t) => SIDE_LOBE.has(t.kind) && !t.negated));
  if (placed.length < 2) return [draft];
  const places = placed.map(placeOf);
  if (!places.some((a, i) => places.slice(i + 1).some((b) => placesClash(a, b)))) return [draft];
  const placedLocations = new Set(placed.flat().filter((t) => LOCATION_KINDS.has(t.kind)));
  // Linear per place (lists can be long): the shared words merged in text order with the place's own words.
  const shared = draft.tokens.filter((t) => !placedLocations.has(t) && !isConnector(t, 'and'));
  return placed.map((part) => {
    const own = part.filter((t) => placedLocations.has(t));
    const tokens: Tok[] = [];
    let a = 0;
    let b = 0;
    while (a < shared.length || b < own.length) {
      if (b >= own.length || (a < shared.length && shared[a].start < own[b].start)) tokens.push(shared[a++]);
      else tokens.push(own[b++]);
    }
    return { head: draft.head, tokens };
  });
}

const isHead = (t: Tok) => t.kind === 'type' && !t.negated && !t.afterWith && !t.diagnosis;
/** A diagnosis word ("carcinoma", "肺癌") that could head a finding; groupFindings decides whether it does. */
const mayHead = (t: Tok) => t.kind === 'type' && !t.negated && !t.afterWith;
const hasLocation = (seg: Tok[]) => seg.some((t) => LOCATION_KINDS.has(t.kind) && !t.negated);
const isLocationOnly = (seg: Tok[]) =>
  hasLocation(seg) && seg.every((t) => LOCATION_KINDS.has(t.kind) || t.kind === 'connector');

/**
 * "实性成分约5mm", "a 4 mm solid component", "solid component of 5 mm": a size beside a texture that names a part
 * of the lesion, in its clause with only fillers between (or a preposition, after it), measures that part, not
 * the lesion. The texture token takes it in (its span covers both) and the size token becomes a filler.
 */
function readComponentSizes(tokens: Tok[]): void {
  const sizeBeside = (from: number, step: number): Tok | undefined => {
    for (let j = from + step; j >= 0 && j < tokens.length; j += step) {
      const t = tokens[j];
      if (!isConnector(t, 'filler') && !(step > 0 && isConnector(t, 'prep'))) return t.kind === 'size' ? t : undefined;
    }
    return undefined;
  };
  tokens.forEach((t, i) => {
    if (t.kind !== 'texture' || !t.component) return;
    const size = sizeBeside(i, 1) ?? sizeBeside(i, -1);
    if (!size) return;
    t.start = Math.min(t.start, size.start);
    t.end = Math.max(t.end, size.end);
    size.kind = 'connector';
    size.value = 'filler';
  });
}

export function groupFindings(tokens: Token[], text: string): Draft[] {
  readComponentSizes(tokens);
  const drafts: Draft[] = [];
  let pending: Tok[] = [];
  let current: Draft | undefined;

  for (const clause of splitOn<Tok>(tokens, (t) => t.kind === 'sep', false)) {
    const segments = splitOn<Tok>(clause, (t) => isConnector(t, 'and'), true);
    markScopes(segments);
    // headLater[i]: some segment after i has a finding of its own (computed once: clauses can be long lists).
    const headLater: boolean[] = new Array(segments.length).fill(false);
    for (let i = segments.length - 2; i >= 0; i--) headLater[i] = headLater[i + 1] || segments[i + 1].some(mayHead);
    let carry: Tok[] = [];
    segments.forEach((seg, si) => {
      // A diagnosis word heads a finding only where no other word gives one: before any finding, or in a place the
      // current finding cannot be in ("RUL mass, LLL carcinoma"). Otherwise it joins the current finding
      // ("mass, suspicious for carcinoma") and buildFinding leaves it out.
      const diagnosis = seg.find((t) => mayHead(t) && t.diagnosis);
      if (diagnosis && !seg.some(isHead) && (!current?.head || placesClash(placeOf(current.tokens), placeOf(seg)))) {
        diagnosis.diagnosis = false;
      }
      const types = seg.filter(isHead);
      // "结节，部分钙化" / "nodule, calcified": a bare calcification or cavity describes the lesion before it.
      if (
        current?.head && LESION_TYPES.has(current.head.value as FindingType) && types.length > 0 &&
        types.every((t) => FEATURE_TYPES.has(t.value as FindingType)) && !hasLocation(seg)
      ) {
        for (const t of types) t.afterWith = true;
      }
      // "右肺门未见肿块": anatomy in a denial without a finding of its own is denied with it.
      if (!seg.some(isHead) && seg.some((t) => t.kind === 'negation')) {
        for (const t of seg) if (LOCATION_KINDS.has(t.kind)) t.negated = true;
      }
      const segHasHead = seg.some(isHead);
      // "纵隔及双肺门淋巴结": anatomy listed before a later finding in the same clause belongs to that finding.
      if (!segHasHead && isLocationOnly(seg) && headLater[si]) {
        carry.push(...seg);
        return;
      }
      if (segHasHead && (!current || current.head)) {
        current = { tokens: current ? [] : pending };
        pending = [];
        drafts.push(current);
      }
      for (const t of [...carry, ...seg]) {
        const target = current ?? { tokens: pending };
        if (isHead(t)) {
          const prev = target.head;
          if (!prev) {
            t.role = 'head';
            target.head = t;
          } else if (followsDirectly(target.tokens, prev)) {
            prev.role = 'feature';
            t.role = 'head';
            target.head = t;
          } else {
            const moved = target.tokens.splice(splitIndex(target, text));
            t.role = 'head';
            current = { tokens: moved, head: t };
            drafts.push(current);
            current.tokens.push(t);
            continue;
          }
        } else if (t.kind === 'type' && !t.negated) t.role = 'feature';
        target.tokens.push(t);
      }
      carry = [];
    });
    if (carry.length > 0) (current?.tokens ?? pending).push(...carry);
  }
  if (drafts.length === 0 && pending.some((t) => t.kind !== 'connector' && t.kind !== 'unknown')) drafts.push({ tokens: pending });
  return drafts.flatMap(splitCoordinated);
}

function pushUnique<T>(list: T[], v: T): void {
  if (!list.includes(v)) list.push(v);
}

const LOBE_OF: Record<string, Partial<Record<Side, Lobe>>> = {
  upper: { left: 'LUL', right: 'RUL' },
  lower: { left: 'LLL', right: 'RLL' },
};

export function buildFinding(draft: Draft, index: number): Finding {
  const anatomy: Anatomy = {};
  const margins: Margin[] = [];
  const signs: Sign[] = [];
  const negations: string[] = [];
  const features: FindingType[] = [];
  const positions: string[] = [];
  let type: FindingType | undefined;
  let size: Size | undefined;
  let sizeWord: SizeWord | undefined;
  const textures: Texture[] = [];
  let multiple: boolean | undefined;
  const raw: Array<Omit<Term, 'id'>> = [];
  const implied: Array<Implied & { span: Span }> = [];
  const lobeParts: Tok[] = [];

  const setLobe = (v: Lobe): boolean => {
    if (anatomy.lobe && !(anatomy.lobe === 'LUL' && v === 'lingula')) return false;
    anatomy.lobe = v;
    return true;
  };

  for (const t of draft.tokens) {
    if (t.kind === 'connector' || t.kind === 'unknown' || t.kind === 'sep') continue;
    // A diagnosis word in a finding that has its own type says nothing the finding does not ("mass, suspicious for carcinoma").
    if (t.kind === 'type' && t.diagnosis && draft.head && draft.head !== t) continue;
    const span = { start: t.start, end: t.end };
    if (t.kind === 'lobePart') {
      if (t.negated) raw.push({ kind: 'position', value: t.value, span, negated: true });
      else lobeParts.push(t);
      continue;
    }
    const kind: TermKind = t.kind;
    // Every negation cue reads 'no'; how far it reaches was settled in groupFindings.
    const term: Omit<Term, 'id'> = { kind, value: kind === 'negation' ? 'no' : t.value, span };
    if (t.negated) {
      term.negated = true;
      raw.push(term);
      if (DENIABLE.has(t.kind)) pushUnique(negations, t.value);
      continue;
    }
    raw.push(term);
    if (t.implies) for (const imp of t.implies) implied.push({ kind: imp.kind, value: imp.value, span });
    switch (kind) {
      case 'organ': anatomy.organ ??= t.value; break;
      case 'side': anatomy.side ??= t.value as Side; break;
      case 'lobe': setLobe(t.value as Lobe); break;
      case 'segment': anatomy.segment ??= t.value; break;
      case 'level': anatomy.level ??= t.value as Anatomy['level']; break;
      case 'station': anatomy.station ??= t.value; break;
      case 'position': pushUnique(positions, t.value); break;
      case 'type':
        if (t.role === 'head') type = t.value as FindingType;
        else pushUnique(features, t.value as FindingType);
        if (t.plural && t.role === 'head') multiple = true;
        break;
      case 'size': size ??= { mm: Math.max(...(t.dims ?? [])), dims: t.dims ?? [] }; break;
      case 'size-word': sizeWord ??= t.value as SizeWord; break;
      case 'texture': textures.push(t.value as Texture); break;
      case 'margin': pushUnique(margins, t.value as Margin); break;
      case 'sign': pushUnique(signs, t.value as Sign); break;
      case 'count': multiple = multiple === true || t.value === 'multiple'; break;
      case 'negation': break;
    }
  }

  // What words imply only fills what no word said ("RUL" → right lung, unless the text named a side itself).
  for (const imp of implied) {
    let applied = false;
    if (imp.kind === 'organ' && !anatomy.organ) applied = Boolean((anatomy.organ = imp.value));
    else if (imp.kind === 'side' && !anatomy.side) applied = Boolean((anatomy.side = imp.value as Side));
    else if (imp.kind === 'lobe') applied = setLobe(imp.value as Lobe);
    else if (imp.kind === 'level' && !anatomy.level) applied = Boolean((anatomy.level = imp.value as Anatomy['level']));
    else if (imp.kind === 'station' && !anatomy.station) applied = Boolean((anatomy.station = imp.value));
    else if (imp.kind === 'texture' && !textures.includes(imp.value as Texture)) applied = Boolean(textures.push(imp.value as Texture));
    else if (imp.kind === 'position' && !positions.includes(imp.value)) applied = Boolean(positions.push(imp.value));
    else if (imp.kind === 'count' && multiple === undefined) { multiple = imp.value === 'multiple'; applied = true; }
    else if (imp.kind === 'size-word' && !sizeWord) applied = Boolean((sizeWord = imp.value as SizeWord));
    if (applied) raw.push({ kind: imp.kind, value: imp.value, span: imp.span, implied: true });
  }
  // "upper lobe" becomes a lobe once the side is known, else stays a coarse position.
  for (const t of lobeParts) {
    const span = { start: t.start, end: t.end };
    const lobe = anatomy.side ? LOBE_OF[t.value]?.[anatomy.side] : undefined;
    if (lobe && setLobe(lobe)) {
      raw.push({ kind: 'lobe', value: lobe, span });
    } else {
      pushUnique(positions, t.value);
      raw.push({ kind: 'position', value: t.value, span });
    }
    if (!anatomy.organ) {
      anatomy.organ = 'lung';
      raw.push({ kind: 'organ', value: 'lung', span, implied: true });
    }
  }
  // "磨玻璃结节，其内可见实性成分" / "ground-glass nodule with a solid part": ground glass (or subsolid) and solid together is
  // part-solid; otherwise a named texture says which of its two subsolid is
  const mixed = textures.includes('part-solid') || (textures.includes('solid') && (textures.includes('ground-glass') || textures.includes('subsolid')));
  const texture: Texture | undefined = mixed ? 'part-solid' : (textures.find((x) => x !== 'subsolid') ?? textures[0]);
  if (!type && features.length > 0) type = features.shift();
  // A lobe is lung anatomy: "RUL nodule abutting the pleura" is in the lung, unless the finding itself is pleural.
  if (anatomy.lobe && anatomy.organ !== 'lung' && !(type && PLEURA_TYPES.has(type))) anatomy.organ = 'lung';
  if (!anatomy.organ && type && LUNG_TYPES.has(type)) anatomy.organ = 'lung';
  if (!anatomy.organ && type && PLEURA_TYPES.has(type)) anatomy.organ = 'pleura';
  if (!anatomy.organ && (anatomy.lobe || anatomy.segment)) anatomy.organ = 'lung';
  // A hilar lymph node is station 10 ("肺门淋巴结", "hilar lymphadenopathy").
  if (type === 'lymph node' && anatomy.level === 'hilum' && !anatomy.station) {
    anatomy.station = '10';
    const level = raw.find((r) => r.kind === 'level' && !r.negated);
    if (level) raw.push({ kind: 'station', value: '10', span: level.span, implied: true });
  }
  if (positions.length > 0) anatomy.position = positions;

  // Ids: "f0.margin", then "f0.margin.2" for a second margin term.
  raw.sort((a, b) => a.span.start - b.span.start);
  const seen = new Map<string, number>();
  const terms: Term[] = raw.map((r) => {
    const n = (seen.get(r.kind) ?? 0) + 1;
    seen.set(r.kind, n);
    const term: Term = { id: n === 1 ? `f${index}.${r.kind}` : `f${index}.${r.kind}.${n}`, kind: r.kind, value: r.value, span: r.span };
    if (r.negated) term.negated = true;
    if (r.implied) term.implied = true;
    return term;
  });

  let start = Infinity;
  let end = -Infinity;
  for (const t of draft.tokens) {
    if (isConnector(t, 'and')) continue;
    if (t.start < start) start = t.start;
    if (t.end > end) end = t.end;
  }
  // Built field by field: optional fields stay absent rather than undefined (JSON and deep equality see only what
  // was said), in a reading order for people looking at `npm run parse`.
  const finding = { span: { start, end } } as Finding;
  if (type) finding.type = type;
  finding.anatomy = anatomy;
  if (size) finding.size = size;
  if (sizeWord) finding.sizeWord = sizeWord;
  if (texture) finding.texture = texture;
  finding.margins = margins;
  finding.signs = signs;
  finding.negations = negations;
  if (multiple !== undefined) finding.multiple = multiple;
  if (features.length > 0) finding.features = features;
  finding.terms = terms;
  return finding;
}
