/**
 * Hand-written types for the few parts of the OHIF 3.13 host (services, managers) and of the host's
 * cornerstone that the extension touches. Nothing of @ohif/* or cornerstone is imported or bundled:
 * these describe what the running viewer hands us, and only as much as we use.
 */

export type Point2 = [number, number];
export type Point3 = [number, number, number];

export interface Subscription {
  unsubscribe(): void;
}

/** OHIF's PubSubService shape: services list their event names in EVENTS. */
export interface PubSub {
  EVENTS?: Record<string, string>;
  subscribe?(eventName: string, callback: (...args: unknown[]) => void): Subscription;
}

export interface ViewportGridService extends PubSub {
  getActiveViewportId(): string | undefined;
  getDisplaySetsUIDsForViewport(viewportId: string): string[] | undefined;
}

export interface DisplaySetInstance {
  SOPInstanceUID?: string;
  Modality?: string;
}

export interface DisplaySet {
  displaySetInstanceUID: string;
  StudyInstanceUID?: string;
  SeriesInstanceUID?: string;
  Modality?: string;
  numImageFrames?: number;
  imageIds?: string[];
  instances?: DisplaySetInstance[];
  instance?: DisplaySetInstance;
}

export interface DisplaySetService extends PubSub {
  getDisplaySetByUID(displaySetInstanceUID: string): DisplaySet | undefined;
}

/** A cornerstone3D viewport as OHIF's cornerstoneViewportService returns it (stack or volume). */
export interface CornerstoneViewport {
  id: string;
  element: HTMLDivElement;
  getImageIds(): string[];
  getCurrentImageIdIndex(): number;
  getCurrentImageId?(): string | undefined;
  worldToCanvas(world: Point3): Point2;
  render(): void;
}

export interface CornerstoneViewportService extends PubSub {
  getCornerstoneViewport(viewportId: string): CornerstoneViewport | null | undefined;
}

export interface UserAuthenticationService {
  getAuthorizationHeader(): { Authorization?: string } | undefined;
}

/** A cornerstone tool instance as a tool group holds it: its configuration is live. */
export interface ToolInstance {
  configuration: { getTextLines?: (data: AnnotationData, targetId: unknown) => string[] | undefined } & Record<string, unknown>;
}

export interface ToolGroup {
  getToolInstance(toolName: string): ToolInstance | undefined;
}

export interface ToolGroupService {
  getToolGroupForViewport(viewportId: string): ToolGroup | undefined;
}

/** OHIF's segmentation service (3.13), the labelmap calls only. */
export interface SegmentationService {
  createLabelmapForDisplaySet(
    displaySet: DisplaySet,
    options: { segmentationId?: string; label?: string; segments?: Record<number, { label: string; active?: boolean }> },
  ): Promise<string>;
  addSegmentationRepresentation(viewportId: string, options: { segmentationId: string }): Promise<void> | void;
  setSegmentColor?(viewportId: string, segmentationId: string, segmentIndex: number, color: [number, number, number, number]): void;
  remove(segmentationId: string): void;
}

export interface HostServices {
  viewportGridService?: ViewportGridService;
  displaySetService?: DisplaySetService;
  cornerstoneViewportService?: CornerstoneViewportService;
  userAuthenticationService?: UserAuthenticationService;
  toolGroupService?: ToolGroupService;
  segmentationService?: SegmentationService;
}

export interface ServicesManager {
  services: HostServices;
}

export interface CommandsManager {
  runCommand(commandName: string, options?: Record<string, unknown>, contextName?: string): unknown;
}

export interface DataSource {
  getConfig?(): { wadoRoot?: string } | undefined;
}

export interface ExtensionManager {
  getModuleEntry(id: string): unknown;
  getActiveDataSource(): DataSource[] | undefined;
}

/** A hotkey as OHIF's HotkeysManager takes it (Mousetrap key syntax). */
export interface HotkeyDefinition {
  commandName: string;
  commandOptions?: Record<string, unknown>;
  keys: readonly string[];
  label?: string;
  isEditable?: boolean;
}

export interface HotkeysManager {
  registerHotkeys(definition: HotkeyDefinition): void;
}

/** What OHIF passes to preRegistration and every get*Module of an extension. */
export interface ExtensionParams {
  servicesManager: ServicesManager;
  commandsManager: CommandsManager;
  extensionManager: ExtensionManager;
  /** Given to preRegistration and onModeEnter. */
  hotkeysManager?: HotkeysManager;
  /** The second element of an `[extension, configuration]` pair; `{}` otherwise. */
  configuration?: Record<string, unknown>;
  /** window.config as the app loaded it. */
  appConfig?: Record<string, unknown>;
}

/** A decoded image in cornerstone's cache (IImage), as far as a thumbnail needs it. */
export interface CachedImage {
  rows: number;
  columns: number;
  getPixelData(): ArrayLike<number>;
  slope?: number;
  intercept?: number;
  /** Set by the DICOM image loader when it already applied slope/intercept. */
  preScale?: { scaled?: boolean };
}

/** A labelmap image of a stack segmentation: one value (segment index) per pixel. */
export interface LabelmapImage {
  rows: number;
  columns: number;
  voxelManager?: { getScalarData(): ArrayLike<number> & { [i: number]: number }; setScalarData?(data: ArrayLike<number>): void };
  getPixelData?(): ArrayLike<number> & { [i: number]: number };
}

export interface CornerstoneCore {
  metaData: { get(type: string, imageId: string): unknown };
  utilities: { imageToWorldCoords(imageId: string, imageCoords: Point2): Point3 | undefined };
  cache?: { getImage?(imageId: string): (CachedImage & LabelmapImage) | undefined };
  imageLoader?: { loadAndCacheImage?(imageId: string): Promise<CachedImage> };
  Enums?: { Events?: Record<string, string> };
}

export interface AnnotationData {
  label?: string;
  /** Set on the annotations this extension draws, so that its text lines (and only theirs) show the label. */
  sliceFinder?: { lesion: string };
  [key: string]: unknown;
}

export interface Annotation {
  annotationUID?: string;
  data: AnnotationData;
  metadata?: Record<string, unknown>;
}

export interface AnnotationStyle {
  color?: string;
  lineDash?: string;
  lineWidth?: string;
}

export interface CornerstoneTools {
  RectangleROITool?: {
    /** Returns nothing in cornerstone 5.x; the annotation gets options.annotationUID. */
    hydrate?(viewportId: string, points: Point3[], options: { referencedImageId: string; annotationUID?: string }): Annotation | void;
  };
  annotation?: {
    state?: {
      getAnnotation?(annotationUID: string): Annotation | undefined;
      removeAnnotation?(annotationUID: string): void;
      triggerAnnotationModified?(annotation: Annotation, element: HTMLElement): void;
    };
    config?: { style?: { setAnnotationStyles?(annotationUID: string, style: AnnotationStyle): void } };
  };
  utilities?: { triggerAnnotationRenderForViewportIds?(viewportIds: string[]): void };
  segmentation?: {
    getLabelmapImageIdsForImageId?(imageId: string, segmentationId: string): string[] | string | undefined;
    triggerSegmentationEvents?: { triggerSegmentationDataModified?(segmentationId: string): void };
  };
}

export interface CornerstoneLibraries {
  cornerstone: CornerstoneCore;
  cornerstoneTools: CornerstoneTools;
}

export const CORNERSTONE_UTILITY_MODULE = '@ohif/extension-cornerstone.utilityModule.common';
