/**
 * Boxes drawn in an SVG layer of our own on top of one cornerstone viewport. Only our layer is ever
 * touched, so clearing can never remove a user's measurement; it redraws on every IMAGE_RENDERED
 * (pan, zoom, scroll) and hides itself when the viewport shows another image.
 */
import type { Region } from '../../../server/rerank/response';
import type { CornerstoneCore, CornerstoneViewport, Point2 } from './hostTypes';

const SVG_NS = 'http://www.w3.org/2000/svg';
export const OVERLAY_ATTRIBUTE = 'data-slice-finder-overlay';
const IMAGE_RENDERED_FALLBACK = 'CORNERSTONE_IMAGE_RENDERED';

export interface CanvasBox {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** The canvas rectangle covering a pixel-space region (any rotation or flip of the camera). */
export function regionToCanvasBox(
  region: Region,
  toCanvas: (imagePoint: Point2) => Point2 | undefined,
): CanvasBox | undefined {
  const corners: Point2[] = [
    [region.x, region.y],
    [region.x + region.w, region.y],
    [region.x, region.y + region.h],
    [region.x + region.w, region.y + region.h],
  ];
  const pts = corners.map(toCanvas);
  if (pts.some((p) => !p || !Number.isFinite(p[0]) || !Number.isFinite(p[1]))) return undefined;
  const xs = (pts as Point2[]).map((p) => p[0]);
  const ys = (pts as Point2[]).map((p) => p[1]);
  const x = Math.min(...xs);
  const y = Math.min(...ys);
  return { x, y, w: Math.max(...xs) - x, h: Math.max(...ys) - y };
}

export function currentImageId(viewport: CornerstoneViewport): string | undefined {
  const direct = viewport.getCurrentImageId?.();
  if (direct) return direct;
  return viewport.getImageIds()[viewport.getCurrentImageIdIndex()];
}

export class BoxOverlay {
  private readonly svg: SVGSVGElement;
  private readonly eventName: string;
  private readonly onRendered = () => this.redraw();

  constructor(
    private readonly viewport: CornerstoneViewport,
    private readonly cornerstone: CornerstoneCore,
    private readonly imageId: string,
    private readonly regions: Region[],
  ) {
    const host = viewport.element;
    this.svg = document.createElementNS(SVG_NS, 'svg');
    this.svg.setAttribute(OVERLAY_ATTRIBUTE, imageId);
    this.svg.setAttribute('aria-hidden', 'true');
    this.svg.style.cssText = 'position:absolute;left:0;top:0;width:100%;height:100%;pointer-events:none;z-index:5;overflow:visible';
    if (getComputedStyle(host).position === 'static') host.style.position = 'relative';
    host.appendChild(this.svg);
    this.eventName = cornerstone.Enums?.Events?.IMAGE_RENDERED ?? IMAGE_RENDERED_FALLBACK;
    host.addEventListener(this.eventName, this.onRendered);
    this.redraw();
  }

  redraw(): void {
    while (this.svg.firstChild) this.svg.removeChild(this.svg.firstChild);
    if (currentImageId(this.viewport) !== this.imageId) return;
    const toCanvas = (p: Point2): Point2 | undefined => {
      const world = this.cornerstone.utilities.imageToWorldCoords(this.imageId, p);
      return world ? this.viewport.worldToCanvas(world) : undefined;
    };
    this.regions.forEach((region, i) => {
      const box = regionToCanvasBox(region, toCanvas);
      if (!box) return;
      const rect = document.createElementNS(SVG_NS, 'rect');
      rect.setAttribute('x', String(box.x - 3));
      rect.setAttribute('y', String(box.y - 3));
      rect.setAttribute('width', String(box.w + 6));
      rect.setAttribute('height', String(box.h + 6));
      rect.setAttribute('fill', 'none');
      rect.setAttribute('stroke', i === 0 ? '#ffd400' : '#ff9f1a');
      rect.setAttribute('stroke-width', '2');
      rect.setAttribute('data-region', String(i));
      const label = document.createElementNS(SVG_NS, 'text');
      label.setAttribute('x', String(box.x - 3));
      label.setAttribute('y', String(box.y - 7));
      label.setAttribute('fill', '#ffd400');
      label.setAttribute('font-size', '12');
      label.setAttribute('font-family', 'sans-serif');
      label.textContent = `${region.label} ${region.score.toFixed(2)}`;
      this.svg.appendChild(rect);
      this.svg.appendChild(label);
    });
  }

  remove(): void {
    this.viewport.element.removeEventListener(this.eventName, this.onRendered);
    this.svg.remove();
  }
}
