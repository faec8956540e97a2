/**
 * Lesion outlines as cornerstone RectangleROI annotations: OHIF lists them in its Measurements panel
 * (with HU statistics, saveable as SR, deletable by the user) under their label, in the panel's
 * language. hydrate() returns nothing in cornerstone 5.x, so we choose each annotationUID ourselves,
 * keep them, and remove exactly those. The label also shows on the image: the tool's text lines get it
 * first, for our annotations only (they carry `data.sliceFinder`); the user's own are untouched.
 */
import type { Annotation, CornerstoneLibraries, HostServices, Point3 } from './hostTypes';

export const TOOL_NAME = 'RectangleROI';

/** Confident lesions solid yellow; the closest of a search that is not confident dashed orange. */
export const STYLES = {
  confident: { color: 'rgb(255, 212, 0)', lineDash: '', lineWidth: '2' },
  tentative: { color: 'rgb(255, 140, 26)', lineDash: '5,4', lineWidth: '2' },
} as const;

export interface LesionOutline {
  viewportId: string;
  imageId: string;
  /** Pixels of that image: column, row of the top-left corner, width, height. */
  region: { x: number; y: number; w: number; h: number };
  label: string;
  confident: boolean;
  /** Which lesion of the answer (the panel's key). */
  lesion: string;
}

const WRAPPED = Symbol.for('slice-finder.getTextLines');

/** Puts the label first in the text box of our annotations, in the viewport's tool group (once per tool instance). */
export function showLabelsOnImage(services: HostServices, viewportId: string): void {
  const tool = services.toolGroupService?.getToolGroupForViewport(viewportId)?.getToolInstance(TOOL_NAME);
  const original = tool?.configuration.getTextLines;
  if (!tool || !original || (original as unknown as Record<symbol, boolean>)[WRAPPED]) return;
  const withLabel = (data: Annotation['data'], targetId: unknown): string[] | undefined => {
    const lines = original(data, targetId);
    if (!data?.sliceFinder || !data.label) return lines;
    return [data.label, ...(lines ?? [])];
  };
  (withLabel as unknown as Record<symbol, boolean>)[WRAPPED] = true;
  tool.configuration.getTextLines = withLabel;
}

/** Draws one outline; returns its annotationUID. */
export function hydrateOutline(libs: CornerstoneLibraries, element: HTMLElement | undefined, o: LesionOutline): string {
  const tools = libs.cornerstoneTools;
  const hydrate = tools.RectangleROITool?.hydrate;
  if (!hydrate) throw new Error('RectangleROITool.hydrate is not available in this viewer');
  const toWorld = (x: number, y: number): Point3 => {
    const p = libs.cornerstone.utilities.imageToWorldCoords(o.imageId, [x, y]);
    if (!p) throw new Error('image has no geometry');
    return p;
  };
  const { x, y, w, h } = o.region;
  const points = [toWorld(x, y), toWorld(x + w, y), toWorld(x, y + h), toWorld(x + w, y + h)];
  const annotationUID = newUid();
  hydrate.call(tools.RectangleROITool, o.viewportId, points, { referencedImageId: o.imageId, annotationUID });
  const annotation = tools.annotation?.state?.getAnnotation?.(annotationUID);
  if (annotation) {
    annotation.data.label = o.label;
    annotation.data.sliceFinder = { lesion: o.lesion };
    tools.annotation?.config?.style?.setAnnotationStyles?.(annotationUID, o.confident ? STYLES.confident : STYLES.tentative);
    // OHIF's measurement service maps the label on modification: the Measurements panel shows it.
    if (element) tools.annotation?.state?.triggerAnnotationModified?.(annotation, element);
  }
  tools.utilities?.triggerAnnotationRenderForViewportIds?.([o.viewportId]);
  return annotationUID;
}

/** Removes these annotations (those the user already deleted are skipped). */
export function removeAnnotations(libs: CornerstoneLibraries, viewportIds: string[], uids: string[]): void {
  const state = libs.cornerstoneTools.annotation?.state;
  if (!state?.removeAnnotation) return;
  for (const uid of uids) {
    if (state.getAnnotation && !state.getAnnotation(uid)) continue;
    state.removeAnnotation(uid);
  }
  libs.cornerstoneTools.utilities?.triggerAnnotationRenderForViewportIds?.([...new Set(viewportIds)]);
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
