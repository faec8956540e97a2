/**
 * The viewer facade: everything the panel needs from the running OHIF host, behind one small typed
 * interface. It reads services lazily (the cornerstone extension may register after us) and keeps
 * track of what it drew (annotations, the heat overlay) so it can remove exactly those.
 */
import { hydrateOutline, removeAnnotations, showLabelsOnImage, type LesionOutline } from './annotations';
import { showHeatOverlay, type HeatLesion } from './heat';
import {
  CORNERSTONE_UTILITY_MODULE,
  type CachedImage,
  type CornerstoneLibraries,
  type ExtensionParams,
  type PubSub,
} from './hostTypes';

export type { LesionOutline, HeatLesion };

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
  /** Outlines a lesion (replacing its previous outline); an OHIF measurement with its label. */
  drawLesion(outline: LesionOutline): void;
  /** Removes the outline of that lesion, if drawn. */
  removeLesion(lesion: string): void;
  /** The lesions outlined now (an outline the user deleted no longer counts). */
  drawnLesions(): string[];
  /** Shows the heat overlay of these lesions in the series' viewport (replacing a previous one). */
  showHeat(series: ActiveSeries, lesions: HeatLesion[], title: string): Promise<void>;
  hideHeat(): void;
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
  options: { debounceMs?: number } = {},
): ViewerFacade {
  const { servicesManager, commandsManager, extensionManager } = params;
  const services = () => servicesManager.services;
  /** Our annotations by lesion key. */
  const outlines = new Map<string, { viewportId: string; uid: string }>();
  /** The heat overlay's segmentation, and a counter so that a late creation after hideHeat() is removed. */
  let heat: string | undefined;
  let heatGeneration = 0;

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

  const facade: ViewerFacade = {
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

    drawLesion(outline) {
      const l = libs();
      const viewport = services().cornerstoneViewportService?.getCornerstoneViewport(outline.viewportId);
      if (!l || !viewport) return;
      facade.removeLesion(outline.lesion);
      showLabelsOnImage(services(), outline.viewportId);
      outlines.set(outline.lesion, { viewportId: outline.viewportId, uid: hydrateOutline(l, viewport.element, outline) });
      viewport.render();
    },

    removeLesion(lesion) {
      const drawn = outlines.get(lesion);
      const l = libs();
      if (!drawn || !l) return;
      outlines.delete(lesion);
      removeAnnotations(l, [drawn.viewportId], [drawn.uid]);
    },

    drawnLesions() {
      const state = libs()?.cornerstoneTools.annotation?.state;
      // One the user deleted in the Measurements panel is no longer ours to track.
      for (const [lesion, { uid }] of outlines) if (state?.getAnnotation && !state.getAnnotation(uid)) outlines.delete(lesion);
      return [...outlines.keys()];
    },

    async showHeat(series, lesions, title) {
      facade.hideHeat();
      const l = libs();
      const { viewportGridService, displaySetService } = services();
      const dsUid = viewportGridService?.getDisplaySetsUIDsForViewport(series.viewportId)?.[0];
      const displaySet = dsUid ? displaySetService?.getDisplaySetByUID(dsUid) : undefined;
      if (!l || !displaySet || lesions.length === 0) return;
      const generation = ++heatGeneration;
      const segmentationId = `slice-finder-heat-${generation}`;
      const id = await showHeatOverlay(services(), l, { viewportId: series.viewportId, displaySet, imageIds: series.imageIds, lesions, segmentationId, title });
      if (generation !== heatGeneration) services().segmentationService?.remove(id);
      else heat = id;
    },

    hideHeat() {
      heatGeneration++;
      if (heat) services().segmentationService?.remove(heat);
      heat = undefined;
    },

    clearDrawings() {
      const l = libs();
      if (l && outlines.size > 0) {
        const drawn = [...outlines.values()];
        removeAnnotations(l, drawn.map((d) => d.viewportId), drawn.map((d) => d.uid));
      }
      outlines.clear();
      facade.hideHeat();
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
  return facade;
}
