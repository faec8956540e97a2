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

export interface HostServices {
  viewportGridService?: ViewportGridService;
  displaySetService?: DisplaySetService;
  cornerstoneViewportService?: CornerstoneViewportService;
  userAuthenticationService?: UserAuthenticationService;
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

/** What OHIF passes to preRegistration and every get*Module of an extension. */
export interface ExtensionParams {
  servicesManager: ServicesManager;
  commandsManager: CommandsManager;
  extensionManager: ExtensionManager;
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

export interface CornerstoneCore {
  metaData: { get(type: string, imageId: string): unknown };
  utilities: { imageToWorldCoords(imageId: string, imageCoords: Point2): Point3 | undefined };
  cache?: { getImage?(imageId: string): CachedImage | undefined };
  imageLoader?: { loadAndCacheImage?(imageId: string): Promise<CachedImage> };
  Enums?: { Events?: Record<string, string> };
}

export interface Annotation {
  annotationUID?: string;
}

export interface CornerstoneTools {
  RectangleROITool?: {
    /** Returns nothing in cornerstone 5.x; the annotation gets options.annotationUID. */
    hydrate?(viewportId: string, points: Point3[], options: { referencedImageId: string; annotationUID?: string }): Annotation | void;
  };
  annotation?: { state?: { removeAnnotation?(annotationUID: string): void } };
  utilities?: { triggerAnnotationRenderForViewportIds?(viewportIds: string[]): void };
}

export interface CornerstoneLibraries {
  cornerstone: CornerstoneCore;
  cornerstoneTools: CornerstoneTools;
}

export const CORNERSTONE_UTILITY_MODULE = '@ohif/extension-cornerstone.utilityModule.common';
