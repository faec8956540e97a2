/**
 * QIDO-RS over the folder index (pure): the result attributes of a study, series or instance, and
 * the query matching the viewer uses (UID lists, wildcards, date ranges, limit/offset).
 */
import { DicomJsonDataset, DicomJsonElement } from './dicom-file';
import { FolderIndex, InstanceEntry, SeriesEntry, StudyEntry } from './folder-index';

type Query = Record<string, string | string[] | undefined>;

function el(vr: string, value: unknown): DicomJsonElement {
  if (value === undefined || value === null || value === '') return { vr };
  if (vr === 'PN') return { vr, Value: [{ Alphabetic: String(value) }] };
  return { vr, Value: Array.isArray(value) ? value : [value] };
}

export function studyAttributes(study: StudyEntry): DicomJsonDataset {
  const modalities = [...new Set(study.series.map((s) => s.modality).filter(Boolean))].sort();
  return {
    '00080020': el('DA', study.studyDate),
    '00080030': el('TM', study.studyTime),
    '00080050': el('SH', study.accessionNumber),
    '00080061': el('CS', modalities.length ? modalities : undefined),
    '00080090': el('PN', study.referringPhysicianName),
    '00081030': el('LO', study.studyDescription),
    '00100010': el('PN', study.patientName),
    '00100020': el('LO', study.patientID),
    '00100030': el('DA', study.patientBirthDate),
    '00100040': el('CS', study.patientSex),
    '0020000D': el('UI', study.studyInstanceUID),
    '00200010': el('SH', study.studyID),
    '00201206': el('IS', study.series.length),
    '00201208': el('IS', study.series.reduce((n, s) => n + s.instances.length, 0)),
  };
}

export function seriesAttributes(series: SeriesEntry): DicomJsonDataset {
  return {
    '00080021': el('DA', series.seriesDate),
    '00080031': el('TM', series.seriesTime),
    '00080060': el('CS', series.modality),
    '0008103E': el('LO', series.seriesDescription),
    '0020000D': el('UI', series.studyInstanceUID),
    '0020000E': el('UI', series.seriesInstanceUID),
    '00200011': el('IS', series.seriesNumber),
    '00201209': el('IS', series.instances.length),
  };
}

export function instanceAttributes(series: SeriesEntry, inst: InstanceEntry): DicomJsonDataset {
  return {
    '00080016': el('UI', inst.sopClassUID),
    '00080018': el('UI', inst.sopInstanceUID),
    '00080060': el('CS', series.modality),
    '0020000D': el('UI', series.studyInstanceUID),
    '0020000E': el('UI', series.seriesInstanceUID),
    '00200013': el('IS', inst.instanceNumber),
    '00280008': el('IS', inst.numberOfFrames),
    '00280010': el('US', inst.rows),
    '00280011': el('US', inst.columns),
  };
}

/** Query keys by keyword or tag, as QIDO allows both. */
const KEYWORDS: Record<string, string> = {
  StudyInstanceUID: '0020000D',
  SeriesInstanceUID: '0020000E',
  SOPInstanceUID: '00080018',
  SOPClassUID: '00080016',
  PatientName: '00100010',
  PatientID: '00100020',
  AccessionNumber: '00080050',
  StudyDate: '00080020',
  StudyDescription: '00081030',
  StudyID: '00200010',
  ModalitiesInStudy: '00080061',
  Modality: '00080060',
  SeriesNumber: '00200011',
  SeriesDescription: '0008103E',
  InstanceNumber: '00200013',
};
const UID_TAGS = new Set(['0020000D', '0020000E', '00080018', '00080016']);
const CONTROL_KEYS = new Set(['limit', 'offset', 'includefield', 'fuzzymatching', 'orderby']);

function tagOf(key: string): string | undefined {
  if (KEYWORDS[key]) return KEYWORDS[key];
  const t = key.toUpperCase().replace(/[^0-9A-F]/g, '');
  return /^[0-9A-F]{8}$/.test(t) && key.replace(/[(),]/g, '').length === 8 ? t : undefined;
}

function valuesOf(e: DicomJsonElement | undefined): string[] {
  return (e?.Value ?? []).map((v) =>
    v !== null && typeof v === 'object' && 'Alphabetic' in v ? String((v as { Alphabetic: unknown }).Alphabetic) : String(v),
  );
}

function wildcardRegExp(pattern: string, fuzzy: boolean): RegExp {
  const body = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(fuzzy ? `(^|\\s|\\^)${body}` : `^${body}$`, 'i');
}

function matchesOne(tag: string, want: string, have: string[], fuzzy: boolean): boolean {
  if (want === '' || want === '*') return true;
  if (UID_TAGS.has(tag)) {
    const uids = want.split(/[,\\]/).map((u) => u.trim()).filter(Boolean);
    return have.some((h) => uids.includes(h));
  }
  if (/^\d{0,8}-\d{0,8}$/.test(want) && want.includes('-')) {
    const [from, to] = want.split('-');
    return have.some((h) => (!from || h >= from) && (!to || h <= to));
  }
  const re = wildcardRegExp(want, fuzzy);
  return have.some((h) => re.test(h));
}

/** True when a result's attributes match every attribute filter in the query. */
export function matchesQuery(attrs: DicomJsonDataset, query: Query): boolean {
  const fuzzy = String(query.fuzzymatching ?? '') === 'true';
  for (const [key, raw] of Object.entries(query)) {
    if (CONTROL_KEYS.has(key) || raw === undefined) continue;
    const tag = tagOf(key);
    if (!tag) continue; // unknown keys are ignored, as most servers do
    for (const want of Array.isArray(raw) ? raw : [raw]) {
      if (!matchesOne(tag, want, valuesOf(attrs[tag]), fuzzy)) return false;
    }
  }
  return true;
}

function page<T>(items: T[], query: Query): T[] {
  const offset = Math.max(0, Number(query.offset ?? 0) || 0);
  const limit = Number(query.limit);
  return Number.isFinite(limit) && limit > 0 ? items.slice(offset, offset + limit) : items.slice(offset);
}

export function searchStudies(index: FolderIndex, query: Query): DicomJsonDataset[] {
  return page(index.studies.map(studyAttributes).filter((a) => matchesQuery(a, query)), query);
}

/** Series search, within one study (studyUID set) or across the index. */
export function searchSeries(index: FolderIndex, query: Query, studyUID?: string): DicomJsonDataset[] {
  const studies = studyUID ? [index.study(studyUID)].filter((s): s is StudyEntry => !!s) : index.studies;
  const all = studies.flatMap((st) => st.series.map((se) => ({ ...studyAttributes(st), ...seriesAttributes(se) })));
  return page(all.filter((a) => matchesQuery(a, query)), query).map((a) => {
    // Only series-level attributes plus the study UID go back.
    const out: DicomJsonDataset = {};
    for (const [tag, v] of Object.entries(a)) if (tag in SERIES_KEYS) out[tag] = v;
    return out;
  });
}
const SERIES_KEYS: Record<string, true> = Object.fromEntries(
  ['00080021', '00080031', '00080060', '0008103E', '0020000D', '0020000E', '00200011', '00201209'].map((t) => [t, true]),
);

/** Instance search, narrowed by study and series when given. */
export function searchInstances(index: FolderIndex, query: Query, studyUID?: string, seriesUID?: string): DicomJsonDataset[] {
  const out: DicomJsonDataset[] = [];
  for (const st of index.studies) {
    if (studyUID && st.studyInstanceUID !== studyUID) continue;
    for (const se of st.series) {
      if (seriesUID && se.seriesInstanceUID !== seriesUID) continue;
      for (const inst of se.instances) {
        const a = instanceAttributes(se, inst);
        if (matchesQuery({ ...studyAttributes(st), ...a }, query)) out.push(a);
      }
    }
  }
  return page(out, query);
}
