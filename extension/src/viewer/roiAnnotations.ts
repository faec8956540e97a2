/**
 * Regions as cornerstone RectangleROI annotations (OHIF then lists them as measurements with HU
 * statistics). hydrate() returns nothing in cornerstone 5.x, so we choose each annotationUID
 * ourselves, keep them, and remove exactly those.
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
    const annotationUID = newUid();
    hydrate.call(libs.cornerstoneTools.RectangleROITool, viewportId, points, { referencedImageId: imageId, annotationUID });
    uids.push(annotationUID);
  }
  return uids;
}

/** A v4-style UUID; crypto.randomUUID exists only in secure contexts (not plain-http hospital hosts). */
export function newUid(): string {
  const c = globalThis.crypto as Crypto | undefined;
  if (c?.randomUUID) return c.randomUUID();
  const bytes = new Uint8Array(16);
  if (c?.getRandomValues) c.getRandomValues(bytes);
  else for (let i = 0; i < 16; i++) bytes[i] = Math.floor(Math.random() * 256);
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export function removeAnnotations(libs: CornerstoneLibraries, viewportId: string, uids: string[]): void {
  const remove = libs.cornerstoneTools.annotation?.state?.removeAnnotation;
  if (!remove) return;
  for (const uid of uids) remove(uid);
  libs.cornerstoneTools.utilities?.triggerAnnotationRenderForViewportIds?.([viewportId]);
}
