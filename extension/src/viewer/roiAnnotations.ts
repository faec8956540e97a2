/**
 * Regions as cornerstone RectangleROI annotations (OHIF then lists them as measurements with HU
 * statistics). We keep the UIDs of the annotations we hydrated and remove exactly those.
 */
import type { Region } from '../../../server/rerank/response';
import type { CornerstoneLibraries, Point3 } from './hostTypes';

export function hydrateRegions(
  libs: CornerstoneLibraries,
  viewportId: string,
  imageId: string,
  regions: Region[],
): string[] {
  const hydrate = libs.cornerstoneTools.RectangleROITool?.hydrate;
  if (!hydrate) throw new Error('RectangleROITool.hydrate is not available in this viewer');
  const toWorld = (x: number, y: number): Point3 => {
    const p = libs.cornerstone.utilities.imageToWorldCoords(imageId, [x, y]);
    if (!p) throw new Error('image has no geometry');
    return p;
  };
  const uids: string[] = [];
  for (const r of regions) {
    const points = [toWorld(r.x, r.y), toWorld(r.x + r.w, r.y), toWorld(r.x, r.y + r.h), toWorld(r.x + r.w, r.y + r.h)];
    const annotation = hydrate.call(libs.cornerstoneTools.RectangleROITool, viewportId, points, { referencedImageId: imageId });
    if (annotation?.annotationUID) uids.push(annotation.annotationUID);
  }
  return uids;
}

export function removeAnnotations(libs: CornerstoneLibraries, viewportId: string, uids: string[]): void {
  const remove = libs.cornerstoneTools.annotation?.state?.removeAnnotation;
  if (!remove) return;
  for (const uid of uids) remove(uid);
  libs.cornerstoneTools.utilities?.triggerAnnotationRenderForViewportIds?.([viewportId]);
}
