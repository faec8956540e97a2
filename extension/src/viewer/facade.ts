/**
 * The viewer facade: everything the panel needs from the running OHIF host, behind one small typed
 * interface. It reads services lazily (the cornerstone extension may register after us) and
 * keeps track of the drawings it made so it can remove exactly those.
 */
import type { Region } from '../../../server/rerank/response';
import type { DrawMode } from '../config';
import { BoxOverlay } from './boxOverlay';
import {
  CORNERSTONE_UTILITY_MODULE,
  type CachedImage,
  type CornerstoneLibraries,
  type ExtensionParams,
  type PubSub,
} from './hostTypes';
import { hydrateRegions, removeAnnotations } from './roiAnnotations';

/** The active viewport's series, images in the order the viewport shows them. */
export interface ActiveSeries {
  viewportId: string;
  studyInstanceUID: string;
  seriesInstanceUID: string;
  /** '' when the host does not say. */
  modality: string;
  imageIds: string[];
  /** SOPInstanceUID of each imageId, same order (repeats for the frames of a multi-frame instance). */
  sopInstanceUIDs: string[];
}

export interface ViewerFacade {
  getActiveSeries(): ActiveSeries | undefined;
  /** The active data source's DICOMweb root as OHIF has it (absolute URL or same-origin path). */
  getWadoRoot(): string | undefined;
  /** The user's Authorization header value, if the viewer has one. */
  getAuthorization(): string | undefined;
  jumpToImage(imageIndex: number): void;
  drawRegions(viewportId: string, imageId: string, regions: Region[]): void;
  /** Removes everything this facade drew, and nothing else. */
  clearDrawings(): void;
  /** A decoded image for thumbnails, from the host's cache or loader; undefined when unavailable. */
  getImage(imageId: string): Promise<CachedImage | undefined>;
  /** Calls back (debounced) when the active viewport or what it shows may have changed. */
  onActiveSeriesChange(callback: () => void): () => void;
}

interface InstanceMetadata {
  SOPInstanceUID?: string;
  Modality?: string;
}

/** Events of the host services after which the active series may be different. */
const WATCHED_EVENTS: Array<[service: 'viewportGridService' | 'cornerstoneViewportService' | 'displaySetService', event: string]> = [
  ['viewportGridService', 'ACTIVE_VIEWPORT_ID_CHANGED'],
  ['viewportGridService', 'GRID_STATE_CHANGED'],
  ['viewportGridService', 'VIEWPORTS_READY'],
  ['cornerstoneViewportService', 'VIEWPORT_DATA_CHANGED'],
  ['displaySetService', 'DISPLAY_SETS_CHANGED'],
];

export function createViewerFacade(
  params: Pick<ExtensionParams, 'servicesManager' | 'commandsManager' | 'extensionManager'>,
  options: { drawMode: DrawMode; debounceMs?: number } = { drawMode: 'overlay' },
): ViewerFacade {
  const { servicesManager, commandsManager, extensionManager } = params;
  const services = () => servicesManager.services;
  let overlays: BoxOverlay[] = [];
  let annotations: { viewportId: string; uids: string[] }[] = [];

  function libs(): CornerstoneLibraries | undefined {
    const entry = extensionManager.getModuleEntry(CORNERSTONE_UTILITY_MODULE) as
      | { exports?: { getCornerstoneLibraries?: () => CornerstoneLibraries } }
      | undefined;
    return entry?.exports?.getCornerstoneLibraries?.();
  }

  function instanceOf(imageId: string): InstanceMetadata | undefined {
    return libs()?.cornerstone.metaData.get('instance', imageId) as InstanceMetadata | undefined;
  }

  function activeSeries(): ActiveSeries | undefined {
    const { viewportGridService, displaySetService, cornerstoneViewportService } = services();
    const viewportId = viewportGridService?.getActiveViewportId();
    if (!viewportId || !displaySetService) return undefined;
    const dsUid = viewportGridService?.getDisplaySetsUIDsForViewport(viewportId)?.[0];
    const displaySet = dsUid ? displaySetService.getDisplaySetByUID(dsUid) : undefined;
    if (!displaySet?.StudyInstanceUID || !displaySet.SeriesInstanceUID) return undefined;
    const viewport = cornerstoneViewportService?.getCornerstoneViewport(viewportId);
    const imageIds = viewport?.getImageIds() ?? displaySet.imageIds ?? [];
    if (imageIds.length === 0) return undefined;
    const sopInstanceUIDs: string[] = [];
    for (const imageId of imageIds) {
      const sop = instanceOf(imageId)?.SOPInstanceUID;
      if (!sop) return undefined;
      sopInstanceUIDs.push(sop);
    }
    const modality =
      displaySet.Modality ?? displaySet.instance?.Modality ?? displaySet.instances?.[0]?.Modality ?? instanceOf(imageIds[0])?.Modality ?? '';
    return {
      viewportId,
      studyInstanceUID: displaySet.StudyInstanceUID,
      seriesInstanceUID: displaySet.SeriesInstanceUID,
      modality,
      imageIds,
      sopInstanceUIDs,
    };
  }

  return {
    getActiveSeries() {
      try {
        return activeSeries();
      } catch {
        // Services that are not initialised yet (before the first mode enters) throw.
        return undefined;
      }
    },

    getWadoRoot() {
      const source = extensionManager.getActiveDataSource()?.[0];
      return source?.getConfig?.()?.wadoRoot || undefined;
    },

    getAuthorization() {
      return services().userAuthenticationService?.getAuthorizationHeader()?.Authorization || undefined;
    },

    jumpToImage(imageIndex) {
      commandsManager.runCommand('jumpToImage', { imageIndex });
    },

    drawRegions(viewportId, imageId, regions) {
      const l = libs();
      const viewport = services().cornerstoneViewportService?.getCornerstoneViewport(viewportId);
      if (!l || !viewport || regions.length === 0) return;
      if (options.drawMode === 'annotation') {
        annotations.push({ viewportId, uids: hydrateRegions(l, viewportId, imageId, regions) });
        viewport.render();
      } else {
        overlays.push(new BoxOverlay(viewport, l.cornerstone, imageId, regions));
      }
    },

    clearDrawings() {
      for (const o of overlays) o.remove();
      overlays = [];
      const l = libs();
      if (l) for (const a of annotations) removeAnnotations(l, a.viewportId, a.uids);
      annotations = [];
    },

    async getImage(imageId) {
      const cs = libs()?.cornerstone;
      const cached = cs?.cache?.getImage?.(imageId);
      if (cached) return cached;
      try {
        return (await cs?.imageLoader?.loadAndCacheImage?.(imageId)) ?? undefined;
      } catch {
        return undefined;
      }
    },

    onActiveSeriesChange(callback) {
      const wait = options.debounceMs ?? 250;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const fire = () => {
        if (timer) clearTimeout(timer);
        timer = setTimeout(() => {
          timer = undefined;
          callback();
        }, wait);
      };
      const subs: { unsubscribe(): void }[] = [];
      for (const [name, event] of WATCHED_EVENTS) {
        const service = services()[name] as PubSub | undefined;
        const eventName = service?.EVENTS?.[event];
        if (service?.subscribe && eventName) subs.push(service.subscribe(eventName, fire));
      }
      return () => {
        if (timer) clearTimeout(timer);
        for (const s of subs) s.unsubscribe();
      };
    },
  };
}
