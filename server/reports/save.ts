/**
 * Saving what was found: the lesions a caller names (ids of a rerank answer) are found again in the
 * server's own analysis of the series (re-analysed when it is no longer cached), written as a
 * measurement report and a key object selection (documents.ts), and stored where the series lives:
 * the PACS by STOW-RS, or the embedded DICOMweb's folder index. The SR is stored first and the KOS
 * only once the PACS has confirmed it, so a PACS never holds key images without their report.
 */
import { MAX_TOP_K } from '../../contract/limits';
import type { Lesion, ReportRequest, ReportResponse } from '../../contract/schemas';
import type { DicomJsonDataset } from '../dicomweb/dicom-file';
import { memoryEntry } from '../dicomweb/folder-index';
import { toDicomJson } from './part10';
import type { Engine } from '../http/engine';
import { ApiError } from '../http/errors';
import type { RequestContext, SeriesService } from '../http/series-service';
import type { Volume } from '../series/volume';
import { keyObjectSelection, measurementReport, type ReportFinding, type ReportImage, type WrittenDocument } from './documents';
import { folderImages, pacsImages, type SourceImages } from './source-images';
import { StowError, stowInstances } from './stow';

export interface SaveDeps {
  engine: Engine;
  series: SeriesService;
  /** Longest wait for one PACS request (metadata, STOW-RS). */
  pacsTimeoutMs: number;
  softwareVersion: string;
  fetch?: typeof fetch;
  now?: () => Date;
}

export interface SavedReport extends ReportResponse {
  /** For the audit line: the source series and how much was written. */
  seriesInstanceUID: string;
  lesions: number;
  images: number;
  slices: number;
  destination: 'pacs' | 'folder';
}

/** Where the documents go. */
interface Destination {
  images: SourceImages;
  store(doc: WrittenDocument): Promise<void>;
}

export async function saveReport(deps: SaveDeps, body: ReportRequest, ctx: RequestContext): Promise<SavedReport> {
  const { engine, series } = deps;
  if (body.preset !== undefined && !engine.presets.includes(body.preset)) {
    throw new ApiError(400, 'unknown_preset', `unknown preset; one of: ${engine.presets.join(', ')}`);
  }
  if (body.model !== undefined && !engine.models().some((m) => m.id === body.model)) {
    throw new ApiError(400, 'unknown_model', 'no model with this id; see GET /api/v1/models');
  }
  const query = engine.parse(body.query);
  // Decided before any work: an upload has no PACS study to save into.
  const where = series.location(body.series, ctx);
  if (where.kind === 'upload') {
    throw new ApiError(409, 'report_no_pacs', 'an uploaded series belongs to no PACS study: there is nowhere to save the report');
  }

  // The lesions as this server finds them now (a cache miss re-analyses the series).
  const got = await series.get(body.series, ctx);
  const { volume, analysis } = got.data;
  const answer = await engine.rerank(analysis, query, { topK: MAX_TOP_K, minScore: 0, preset: body.preset, model: body.model, sopOrder: got.sopOrder });
  const byId = new Map<number, Lesion>();
  for (const group of answer.findings) for (const l of group.lesions) if (!byId.has(l.id)) byId.set(l.id, l);
  const unknown = body.lesions.filter((id) => !byId.has(id));
  if (unknown.length > 0) {
    throw new ApiError(404, 'lesion_not_found', `no lesion ${unknown.slice(0, 5).join(', ')} in this series' answer to the query; search again`);
  }
  const lesions = body.lesions.map((id) => byId.get(id)!);

  const destination: Destination =
    where.kind === 'folder'
      ? folderDestination(series)
      : pacsDestination(deps, where.root, where.authorization, volume);

  const headers = new Map<string, Promise<Awaited<ReturnType<SourceImages['header']>>>>();
  const headerOf = (sop: string): ReturnType<SourceImages['header']> => {
    let h = headers.get(sop);
    if (!h) headers.set(sop, (h = destination.images.header(sop)));
    return h;
  };
  const findings: ReportFinding[] = [];
  for (const l of lesions) {
    const slice = sliceAt(volume, got.sopOrder, l.slices.best);
    const region = l.regions.find((r) => r.index === l.slices.best);
    if (!slice || !region) throw new Error('a lesion has no region on its best slice');
    const header = await headerOf(slice.sopInstanceUID);
    const image: ReportImage = { sopClassUID: String(header.SOPClassUID ?? ''), sopInstanceUID: slice.sopInstanceUID, ...(slice.frame ? { frame: slice.frame } : {}) };
    findings.push({ lesionId: l.id, label: l.label, kind: l.kind, side: l.side, longMm: l.sizeMm.long, shortMm: l.sizeMm.short, image, box: region });
  }
  const input = {
    source: await headerOf(findings[0].image.sopInstanceUID),
    query: body.query,
    findings,
    algorithm: { id: answer.model.id, version: answer.model.version },
    softwareVersion: deps.softwareVersion,
    now: (deps.now ?? (() => new Date()))(),
  };
  const sr = measurementReport(input, volume.seriesInstanceUID);
  const ko = keyObjectSelection(input, volume.seriesInstanceUID);
  // Never key images without their report: the KOS goes only once the SR is stored.
  await destination.store(sr);
  try {
    await destination.store(ko);
  } catch (err) {
    if (err instanceof StowError) throw new StowError(err.pacsStatus, `the report was stored, but not the key images: ${err.message}`);
    throw err;
  }
  return {
    studyInstanceUID: sr.studyInstanceUID,
    seriesInstanceUIDs: [sr.seriesInstanceUID, ko.seriesInstanceUID],
    sopInstanceUIDs: [sr.sopInstanceUID, ko.sopInstanceUID],
    seriesInstanceUID: volume.seriesInstanceUID,
    lesions: lesions.length,
    images: new Set(findings.map((f) => f.image.sopInstanceUID)).size,
    slices: volume.slices,
    destination: where.kind,
  };
}

/**
 * The instance (and frame, for a multi-frame instance) shown at `index` of the caller's order (the
 * request's sopInstanceUIDs), or of the volume's order when the request gave none; the inverse of
 * the pipeline's index mapping.
 */
export function sliceAt(volume: Pick<Volume, 'sopInstanceUIDs' | 'frames'>, sopOrder: string[] | undefined, index: number): { sopInstanceUID: string; frame?: number } | undefined {
  const uids = volume.sopInstanceUIDs;
  const multiFrame = (sop: string): boolean => uids.indexOf(sop) !== uids.lastIndexOf(sop);
  const at = (v: number): { sopInstanceUID: string; frame?: number } => ({ sopInstanceUID: uids[v], ...(multiFrame(uids[v]) ? { frame: volume.frames[v] ?? 1 } : {}) });
  if (!sopOrder) return index < uids.length ? at(index) : undefined;
  const pos = new Map<string, number>();
  sopOrder.forEach((uid, i) => {
    if (!pos.has(uid)) pos.set(uid, i);
  });
  for (let v = 0; v < uids.length; v++) {
    const p = pos.get(uids[v]);
    if (p !== undefined && p + (volume.frames[v] ?? 1) - 1 === index) return at(v);
  }
  return undefined;
}

function folderDestination(series: SeriesService): Destination {
  const index = series.folder;
  if (!index) throw new ApiError(409, 'report_no_pacs', 'this server has neither a PACS nor a folder to save the report into');
  return {
    images: folderImages(index),
    async store(doc) {
      index.add(memoryEntry(doc.bytes, `memory:${doc.sopInstanceUID}.dcm`, toDicomJson(doc.dataset) as DicomJsonDataset));
    },
  };
}

function pacsDestination(deps: SaveDeps, root: string, authorization: string | undefined, volume: Volume): Destination {
  return {
    images: pacsImages({
      root,
      studyInstanceUID: volume.studyInstanceUID,
      seriesInstanceUID: volume.seriesInstanceUID,
      authorization,
      timeoutMs: deps.pacsTimeoutMs,
      fetch: deps.fetch,
    }),
    store: (doc) =>
      stowInstances({
        root,
        studyInstanceUID: doc.studyInstanceUID,
        files: [{ sopInstanceUID: doc.sopInstanceUID, bytes: doc.bytes }],
        authorization,
        timeoutMs: deps.pacsTimeoutMs,
        fetch: deps.fetch,
      }),
  };
}
