/**
 * The heat overlay: a labelmap segmentation of the viewport's display set (OHIF lists it in its
 * Segmentation panel, and can save it as SEG), one segment per lesion, each lesion's extent painted on
 * every slice it spans (an ellipse in its box), coloured by its score. Semi-transparent; removed whole.
 */
import type { CornerstoneLibraries, DisplaySet, HostServices } from './hostTypes';

export interface HeatLesion {
  label: string;
  score: number;
  /** Per slice: the image (viewport order) and the lesion's box on it, pixels. */
  regions: Array<{ imageIndex: number; x: number; y: number; w: number; h: number }>;
}

/** Hot for likely lesions (score ≥ 0.5 red-orange to yellow), cool for unlikely ones. */
export function heatColour(score: number): [number, number, number, number] {
  const s = Math.min(1, Math.max(0, score));
  if (s >= 0.5) return [255, Math.round(60 + (s - 0.5) * 2 * 150), 0, 255];
  return [Math.round(80 + s * 2 * 175), Math.round(120 * s * 2), Math.round(255 * (1 - s * 2)), 255];
}

/** Sets the pixels of an ellipse inscribed in the box to `value`. */
export function paintEllipse(data: { [i: number]: number }, columns: number, rows: number, box: { x: number; y: number; w: number; h: number }, value: number): number {
  const cx = box.x + box.w / 2;
  const cy = box.y + box.h / 2;
  const rx = Math.max(0.5, box.w / 2);
  const ry = Math.max(0.5, box.h / 2);
  let painted = 0;
  for (let r = Math.max(0, Math.floor(box.y)); r < Math.min(rows, Math.ceil(box.y + box.h)); r++) {
    for (let c = Math.max(0, Math.floor(box.x)); c < Math.min(columns, Math.ceil(box.x + box.w)); c++) {
      const dx = (c + 0.5 - cx) / rx;
      const dy = (r + 0.5 - cy) / ry;
      if (dx * dx + dy * dy <= 1) {
        data[r * columns + c] = value;
        painted++;
      }
    }
  }
  return painted;
}

/** Creates and shows the overlay; resolves to its segmentation id. */
export async function showHeatOverlay(
  services: HostServices,
  libs: CornerstoneLibraries,
  opts: { viewportId: string; displaySet: DisplaySet; imageIds: string[]; lesions: HeatLesion[]; segmentationId: string; title: string },
): Promise<string> {
  const seg = services.segmentationService;
  if (!seg) throw new Error('this viewer has no segmentation service');
  const segments: Record<number, { label: string; active?: boolean }> = {};
  opts.lesions.forEach((l, i) => (segments[i + 1] = { label: l.label, ...(i === 0 ? { active: true } : {}) }));
  const id = await seg.createLabelmapForDisplaySet(opts.displaySet, { segmentationId: opts.segmentationId, label: opts.title, segments });
  opts.lesions.forEach((lesion, i) => {
    for (const r of lesion.regions) {
      const imageId = opts.imageIds[r.imageIndex];
      if (!imageId) continue;
      const ids = libs.cornerstoneTools.segmentation?.getLabelmapImageIdsForImageId?.(imageId, id);
      const labelmapId = Array.isArray(ids) ? ids[0] : ids;
      const image = labelmapId ? libs.cornerstone.cache?.getImage?.(labelmapId) : undefined;
      const data = image?.voxelManager?.getScalarData() ?? image?.getPixelData?.();
      if (!image || !data) continue;
      paintEllipse(data, image.columns, image.rows, r, i + 1);
      image.voxelManager?.setScalarData?.(data);
    }
  });
  await seg.addSegmentationRepresentation(opts.viewportId, { segmentationId: id });
  opts.lesions.forEach((l, i) => seg.setSegmentColor?.(opts.viewportId, id, i + 1, heatColour(l.score)));
  libs.cornerstoneTools.segmentation?.triggerSegmentationEvents?.triggerSegmentationDataModified?.(id);
  return id;
}
