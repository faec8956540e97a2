/**
 * A fake OHIF host with the services, managers and cornerstone pieces the extension uses. It keeps
 * real behaviour where the panel depends on it: jumpToImage moves the viewport's current image and
 * fires IMAGE_RENDERED, hydrate/removeAnnotation keep a real annotation store, pub-sub delivers.
 */
import type {
  CornerstoneLibraries,
  CornerstoneViewport,
  DisplaySet,
  ExtensionParams,
  Point2,
  Point3,
} from '../../../extension/src/viewer/hostTypes';

type Callback = (...args: unknown[]) => void;

export class FakePubSub {
  private readonly subs = new Map<string, Set<Callback>>();
  constructor(public readonly EVENTS: Record<string, string>) {}
  subscribe(event: string, cb: Callback) {
    const set = this.subs.get(event) ?? new Set<Callback>();
    set.add(cb);
    this.subs.set(event, set);
    return { unsubscribe: () => set.delete(cb) };
  }
  emit(event: string, ...args: unknown[]) {
    for (const cb of this.subs.get(this.EVENTS[event] ?? event) ?? []) cb(...args);
  }
  listenerCount(event: string) {
    return this.subs.get(this.EVENTS[event] ?? event)?.size ?? 0;
  }
}

export interface FakeSeriesSpec {
  studyInstanceUID?: string;
  seriesInstanceUID?: string;
  modality?: string;
  /** SOP UIDs in the order the viewport shows them. */
  sopInstanceUIDs: string[];
}

export const IMAGE_RENDERED = 'CORNERSTONE_IMAGE_RENDERED';

export interface FakeHost {
  params: ExtensionParams;
  viewport: CornerstoneViewport & { currentIndex: number };
  commands: Array<{ name: string; options?: Record<string, unknown> }>;
  annotations: Map<string, { viewportId: string; points: Point3[]; referencedImageId: string }>;
  /** A measurement the user drew before; the extension must never remove it. */
  userAnnotationUID: string;
  viewportGridService: FakePubSub;
  cornerstoneViewportService: FakePubSub;
  showSeries(spec: FakeSeriesSpec): void;
  setAuthorization(value: string | undefined): void;
}

/** imageId for a SOP UID; deliberately unrelated to the display order. */
export const imageIdOf = (sop: string) => `wadors:https://pacs.example/dicom-web/instances/${sop}/frames/1`;

/** Image (column,row) → world: 0.7 mm pixels, slice z from the SOP UID's last digits. Canvas = world × 2 + 10. */
const worldOf = (imageId: string, [c, r]: Point2): Point3 => [c * 0.7, r * 0.7, Number(imageId.match(/\.(\d+)\/frames/)?.[1] ?? 0)];

export function createFakeHost(initial: FakeSeriesSpec): FakeHost {
  const commands: FakeHost['commands'] = [];
  const annotations: FakeHost['annotations'] = new Map();
  const userAnnotationUID = 'user-measurement-1';
  let authorization: string | undefined;
  let series = initial;
  let imageIds = initial.sopInstanceUIDs.map(imageIdOf);
  const sopByImageId = () => new Map(series.sopInstanceUIDs.map((s) => [imageIdOf(s), s]));

  const element = document.createElement('div');
  document.body.appendChild(element);
  const viewport = {
    id: 'default',
    element,
    currentIndex: 0,
    getImageIds: () => imageIds,
    getCurrentImageIdIndex: () => viewport.currentIndex,
    getCurrentImageId: () => imageIds[viewport.currentIndex],
    worldToCanvas: ([x, y]: Point3): Point2 => [x * 2 + 10, y * 2 + 10],
    render: () => element.dispatchEvent(new Event(IMAGE_RENDERED)),
  };

  const viewportGridService = Object.assign(new FakePubSub({ ACTIVE_VIEWPORT_ID_CHANGED: 'event::activeviewportchanged', GRID_STATE_CHANGED: 'event::gridstatechanged' }), {
    getActiveViewportId: () => 'default',
    getDisplaySetsUIDsForViewport: () => ['ds-1'],
  });
  const displaySetService = Object.assign(new FakePubSub({ DISPLAY_SETS_CHANGED: 'event::displaysetschanged' }), {
    getDisplaySetByUID: (uid: string): DisplaySet | undefined =>
      uid === 'ds-1'
        ? {
            displaySetInstanceUID: 'ds-1',
            StudyInstanceUID: series.studyInstanceUID ?? '1.2.3',
            SeriesInstanceUID: series.seriesInstanceUID ?? '1.2.3.4',
            Modality: series.modality ?? 'CT',
            numImageFrames: series.sopInstanceUIDs.length,
          }
        : undefined,
  });
  const cornerstoneViewportService = Object.assign(new FakePubSub({ VIEWPORT_DATA_CHANGED: 'event::cornerstoneViewportService:viewportDataChanged' }), {
    // A second viewport id showing the same stack, for active-viewport switches.
    getCornerstoneViewport: (id: string) => (id === 'default' || id === 'other' ? viewport : undefined),
  });

  annotations.set(userAnnotationUID, { viewportId: 'default', points: [], referencedImageId: imageIds[0] });
  let nextUid = 1;
  const libs: CornerstoneLibraries = {
    cornerstone: {
      metaData: {
        get: (type, imageId) => (type === 'instance' ? { SOPInstanceUID: sopByImageId().get(imageId), Modality: series.modality ?? 'CT' } : undefined),
      },
      utilities: { imageToWorldCoords: (imageId, p) => worldOf(imageId, p) },
      Enums: { Events: { IMAGE_RENDERED } },
    },
    cornerstoneTools: {
      RectangleROITool: {
        // Like cornerstone 5.6: takes the caller's annotationUID (or makes one) and returns nothing.
        hydrate: (viewportId, points, { referencedImageId, annotationUID }) => {
          annotations.set(annotationUID ?? `generated-${nextUid++}`, { viewportId, points, referencedImageId });
        },
      },
      annotation: { state: { removeAnnotation: (uid) => void annotations.delete(uid) } },
    },
  };

  const params: ExtensionParams = {
    servicesManager: {
      services: {
        viewportGridService,
        displaySetService,
        cornerstoneViewportService,
        userAuthenticationService: { getAuthorizationHeader: () => (authorization ? { Authorization: authorization } : {}) },
      },
    },
    commandsManager: {
      runCommand: (name, options) => {
        commands.push({ name, options });
        if (name === 'jumpToImage') {
          viewport.currentIndex = Number(options?.imageIndex);
          viewport.render();
        }
        return undefined;
      },
    },
    extensionManager: {
      getModuleEntry: (id) =>
        id === '@ohif/extension-cornerstone.utilityModule.common' ? { exports: { getCornerstoneLibraries: () => libs } } : undefined,
      getActiveDataSource: () => [{ getConfig: () => ({ wadoRoot: 'https://pacs.example/dicom-web' }) }],
    },
  };

  return {
    params,
    viewport,
    commands,
    annotations,
    userAnnotationUID,
    viewportGridService,
    cornerstoneViewportService,
    showSeries(spec) {
      series = spec;
      imageIds = spec.sopInstanceUIDs.map(imageIdOf);
      viewport.currentIndex = 0;
      cornerstoneViewportService.emit('VIEWPORT_DATA_CHANGED');
    },
    setAuthorization(value) {
      authorization = value;
    },
  };
}

/** `n` SOP UIDs shown in reverse acquisition order, so displayed index ≠ acquisition index. */
export function reversedSeries(n: number, base = '1.2.826.0.1.3680043.8.498'): string[] {
  return Array.from({ length: n }, (_, i) => `${base}.${n - i}`);
}
