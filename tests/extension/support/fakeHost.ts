/**
 * A fake OHIF host with the services, managers and cornerstone pieces the extension uses. It keeps
 * real behaviour where the panel depends on it: jumpToImage moves the viewport's current image and
 * fires IMAGE_RENDERED, hydrate/getAnnotation/removeAnnotation keep a real annotation store (label,
 * style, modified events), the tool group's text lines, a labelmap store for segmentations, hotkeys
 * bound on the document like Mousetrap (not in text fields) that run registered commands, pub-sub.
 */
import type {
  AnnotationData,
  AnnotationStyle,
  CornerstoneLibraries,
  CornerstoneViewport,
  DisplaySet,
  ExtensionParams,
  HotkeyDefinition,
  Point2,
  Point3,
} from '../../../extension/src/viewer/hostTypes';

type Callback = (...args: unknown[]) => void;

/** Document listeners of every fake hotkeys manager, removed between tests. */
const hotkeyListeners: Array<(e: KeyboardEvent) => void> = [];
export function removeHotkeyListeners(): void {
  for (const l of hotkeyListeners.splice(0)) document.removeEventListener('keydown', l);
}

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

export interface FakeAnnotation {
  viewportId: string;
  points: Point3[];
  referencedImageId: string;
  data: AnnotationData;
  style?: AnnotationStyle;
  /** How often annotation-modified fired (OHIF's measurement service re-reads the label then). */
  modified: number;
}

export interface FakeSegmentation {
  id: string;
  label?: string;
  segments: Record<number, { label: string }>;
  /** Labelmap pixels per source imageId (512×512). */
  labelmaps: Map<string, Uint8Array>;
  representations: string[];
  colors: Record<number, number[]>;
}

export interface FakeHost {
  params: ExtensionParams;
  viewport: CornerstoneViewport & { currentIndex: number };
  commands: Array<{ name: string; options?: Record<string, unknown> }>;
  annotations: Map<string, FakeAnnotation>;
  segmentations: Map<string, FakeSegmentation>;
  hotkeys: HotkeyDefinition[];
  /** Makes the extension's commands runnable through commandsManager.runCommand (as OHIF does). */
  registerCommands(definitions: Record<string, { commandFn: (options?: Record<string, unknown>) => unknown }>): void;
  /** The RectangleROI text lines of an annotation, as the tool group's tool would render them. */
  textLines(uid: string): string[] | undefined;
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

  annotations.set(userAnnotationUID, { viewportId: 'default', points: [], referencedImageId: imageIds[0], data: { label: 'my measurement' }, modified: 0 });
  let nextUid = 1;
  const segmentations: FakeHost['segmentations'] = new Map();
  const hotkeys: HotkeyDefinition[] = [];
  const commandFns = new Map<string, (options?: Record<string, unknown>) => unknown>();
  const rectangleTool = { configuration: { getTextLines: (_data: AnnotationData): string[] | undefined => ['Area: 12 mm²', 'Mean: 20 HU'] } };
  const annotationOf = (uid: string) => {
    const a = annotations.get(uid);
    return a ? { annotationUID: uid, data: a.data, metadata: { referencedImageId: a.referencedImageId } } : undefined;
  };
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
        // Like cornerstone 5.6: takes the caller's annotationUID (or makes one), starts with an empty label, returns nothing.
        hydrate: (viewportId, points, { referencedImageId, annotationUID }) => {
          annotations.set(annotationUID ?? `generated-${nextUid++}`, { viewportId, points, referencedImageId, data: { label: '' }, modified: 0 });
        },
      },
      annotation: {
        state: {
          getAnnotation: annotationOf,
          removeAnnotation: (uid) => void annotations.delete(uid),
          triggerAnnotationModified: (annotation) => {
            const a = annotations.get(annotation.annotationUID ?? '');
            if (a) a.modified++;
          },
        },
        config: {
          style: {
            setAnnotationStyles: (uid, style) => {
              const a = annotations.get(uid);
              if (a) a.style = style;
            },
          },
        },
      },
      segmentation: {
        getLabelmapImageIdsForImageId: (imageId, segmentationId) => [`labelmap:${segmentationId}|${imageId}`],
        triggerSegmentationEvents: { triggerSegmentationDataModified: () => undefined },
      },
    },
  };
  // Labelmap images as the cache gives them (a voxel manager over the pixels).
  libs.cornerstone.cache = {
    getImage: (id: string) => {
      const m = /^labelmap:([^|]+)\|(.*)$/.exec(id);
      const seg = m ? segmentations.get(m[1]) : undefined;
      if (!m || !seg) return undefined;
      let data = seg.labelmaps.get(m[2]);
      if (!data) seg.labelmaps.set(m[2], (data = new Uint8Array(512 * 512)));
      const pixels = data;
      return { rows: 512, columns: 512, getPixelData: () => pixels, voxelManager: { getScalarData: () => pixels } };
    },
  } as unknown as NonNullable<CornerstoneLibraries['cornerstone']['cache']>;

  const segmentationService = {
    createLabelmapForDisplaySet: async (_ds: DisplaySet, o: { segmentationId?: string; label?: string; segments?: Record<number, { label: string }> }) => {
      const id = o.segmentationId ?? `seg-${nextUid++}`;
      segmentations.set(id, { id, label: o.label, segments: o.segments ?? {}, labelmaps: new Map(), representations: [], colors: {} });
      return id;
    },
    addSegmentationRepresentation: (viewportId: string, { segmentationId }: { segmentationId: string }) => {
      segmentations.get(segmentationId)?.representations.push(viewportId);
    },
    setSegmentColor: (_vp: string, segmentationId: string, index: number, color: number[]) => {
      const seg = segmentations.get(segmentationId);
      if (seg) seg.colors[index] = color;
    },
    remove: (segmentationId: string) => void segmentations.delete(segmentationId),
  };

  // OHIF's hotkeys manager binds Mousetrap on the document; Mousetrap ignores keys typed into text fields.
  const KEY_NAMES: Record<string, string> = { down: 'ArrowDown', up: 'ArrowUp', left: 'ArrowLeft', right: 'ArrowRight' };
  const hotkeysManager = {
    registerHotkeys: (definition: HotkeyDefinition) => {
      hotkeys.push(definition);
      const combo = definition.keys.join('+').split('+');
      const listener = (e: KeyboardEvent) => {
        const target = e.target as HTMLElement | null;
        if (target && /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName)) return;
        const key = combo[combo.length - 1];
        if (combo.includes('alt') !== e.altKey || (KEY_NAMES[key] ?? key) !== e.key) return;
        e.preventDefault();
        params.commandsManager.runCommand(definition.commandName, definition.commandOptions);
      };
      hotkeyListeners.push(listener);
      document.addEventListener('keydown', listener);
    },
  };

  const params: ExtensionParams = {
    servicesManager: {
      services: {
        viewportGridService,
        displaySetService,
        cornerstoneViewportService,
        userAuthenticationService: { getAuthorizationHeader: () => (authorization ? { Authorization: authorization } : {}) },
        toolGroupService: { getToolGroupForViewport: () => ({ getToolInstance: (name: string) => (name === 'RectangleROI' ? rectangleTool : undefined) }) },
        segmentationService,
      },
    },
    hotkeysManager,
    commandsManager: {
      runCommand: (name, options) => {
        commands.push({ name, options });
        if (name === 'jumpToImage') {
          viewport.currentIndex = Number(options?.imageIndex);
          viewport.render();
        }
        return commandFns.get(name)?.(options);
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
    segmentations,
    hotkeys,
    registerCommands(definitions) {
      for (const [name, d] of Object.entries(definitions)) commandFns.set(name, d.commandFn);
    },
    textLines(uid) {
      const a = annotations.get(uid);
      return a ? rectangleTool.configuration.getTextLines(a.data) : undefined;
    },
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
