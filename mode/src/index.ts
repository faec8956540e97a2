/**
 * The Slice Finder mode (@slice-finder/ohif-mode): OHIF's stock longitudinal mode ("Basic Viewer") with
 * the Slice Finder panel first on the right, its toolbar button and hotkeys for the next/previous result.
 *
 * It is built from the host's own longitudinal mode (modeFactory's `loadModules('@ohif/mode-longitudinal')`),
 * so the layout, tools, hanging protocol and viewports stay exactly the stock ones of whatever OHIF 3.13.x
 * loads it; the same file works when listed in pluginConfig.json and when loaded at run time
 * (app-config `modes: ['/ext/slice-finder-mode.mjs']`).
 *
 * Valid for CT of at least 10 images: the worklist asks isValidMode per study (modalities, instance count);
 * in the viewer the panel is shown while the active series is such a CT and taken out otherwise.
 *
 * Imports nothing: the extension is referenced by its ids, as OHIF modes reference extensions.
 * tests/extension/mode.test.ts holds these ids to the extension's package.json manifest.
 */

export const MODE_ID = '@slice-finder/ohif-mode';
/** The URL segment: /slice-finder?StudyInstanceUIDs=... */
export const ROUTE_NAME = 'slice-finder';
export const LONGITUDINAL_MODE = '@ohif/mode-longitudinal';
export const EXTENSION_ID = '@slice-finder/ohif-extension';
export const EXTENSION_VERSION = '^0.1.0';
export const PANEL_ID = `${EXTENSION_ID}.panelModule.sliceFinder`;
export const TOOLBAR_BUTTONS_CUSTOMIZATION = 'sliceFinder.toolbarButtons';
export const TOOLBAR_BUTTON_ID = 'SliceFinder';
export const TOOLBAR_SECTION = 'primary';
/** Below this a series is no CT stack the service ranks (the extension's minSlices default). */
export const MIN_IMAGES = 10;

/** Next/previous result, in OHIF's hotkey definition format; the viewer's preferences can rebind them. */
export const HOTKEYS = [
  { commandName: 'sliceFinder.next', keys: ['alt+down'], label: 'Slice Finder: next result', isEditable: true },
  { commandName: 'sliceFinder.previous', keys: ['alt+up'], label: 'Slice Finder: previous result', isEditable: true },
];

export interface SeriesFacts {
  modality?: string;
  numImages?: number;
}

/** The rule of the mode, for a series: CT of at least MIN_IMAGES images. */
export function isSliceFinderSeries({ modality, numImages }: SeriesFacts): boolean {
  return (modality ?? '').toUpperCase() === 'CT' && typeof numImages === 'number' && numImages >= MIN_IMAGES;
}

/**
 * The worklist's check, per study (OHIF passes the study's modalities, backslash-separated, and the study
 * row, whose `instances` counts its images). A study without CT, or with fewer than MIN_IMAGES images in
 * all, has no series the mode can serve.
 */
export function isValidMode({ modalities, study }: { modalities?: string; study?: { instances?: unknown; numInstances?: unknown } }): {
  valid: boolean;
  description: string;
} {
  const list = (modalities ?? '').split('\\').map((m) => m.trim().toUpperCase());
  if (!list.includes('CT')) return { valid: false, description: 'Slice Finder works on CT series; this study has none' };
  const count = Number(study?.instances ?? study?.numInstances);
  if (Number.isFinite(count) && count < MIN_IMAGES) {
    return { valid: false, description: `Slice Finder needs a CT series of at least ${MIN_IMAGES} images` };
  }
  return { valid: true, description: 'CT' };
}

// ---- The few host shapes the mode touches (the @ohif packages ship no types).

interface PubSub {
  EVENTS?: Record<string, string>;
  subscribe?(event: string, cb: () => void): { unsubscribe(): void };
}
interface PanelEntry {
  id: string;
}
interface DisplaySet {
  Modality?: string;
  numImageFrames?: number;
  imageIds?: unknown[];
  instances?: Array<{ Modality?: string }>;
}
interface Services {
  panelService?: PubSub & {
    getPanels(position: string): PanelEntry[];
    addPanel(position: string, id: string, options?: Record<string, unknown>): void;
    setPanels(panels: Record<string, string[]>, options?: Record<string, unknown>): void;
    activatePanel(id: string, forceActive?: boolean): void;
  };
  viewportGridService?: PubSub & { getActiveViewportId(): string; getDisplaySetsUIDsForViewport(id: string): string[] | undefined };
  displaySetService?: PubSub & { getDisplaySetByUID(uid: string): DisplaySet | undefined };
  cornerstoneViewportService?: PubSub;
  toolbarService?: { getButtons?(): Record<string, unknown>; updateSection(section: string, ids: string[]): void };
  customizationService?: { setCustomizations?(customizations: Record<string, unknown>): void };
}
export interface ModeEnterArgs {
  servicesManager: { services: Services };
  [key: string]: unknown;
}
interface ModeInstance {
  id: string;
  routeName: string;
  displayName?: string;
  hide?: boolean;
  routes: Array<{ path: string; layoutInstance: { props: Record<string, unknown> & { rightPanels?: unknown[] } } & Record<string, unknown> } & Record<string, unknown>>;
  extensions?: Record<string, string>;
  toolbarButtons?: unknown[];
  onModeEnter?(this: ModeInstance, args: ModeEnterArgs): void;
  onModeExit?(this: ModeInstance, args: ModeEnterArgs): void;
  _unsubscriptions?: Array<() => void>;
  [key: string]: unknown;
}
interface ModeModule {
  id: string;
  modeFactory?(this: ModeModule, args: { modeConfiguration?: unknown; loadModules?: LoadModules }): ModeInstance | Promise<ModeInstance>;
  modeInstance?: ModeInstance;
}
type LoadModules = (names: string[]) => Promise<unknown[]>;

/** Events after which the active series may be another one (the extension watches the same). */
const WATCHED: Array<[keyof Services, string]> = [
  ['viewportGridService', 'ACTIVE_VIEWPORT_ID_CHANGED'],
  ['viewportGridService', 'GRID_STATE_CHANGED'],
  ['viewportGridService', 'VIEWPORTS_READY'],
  ['displaySetService', 'DISPLAY_SETS_ADDED'],
  ['displaySetService', 'DISPLAY_SETS_CHANGED'],
  ['cornerstoneViewportService', 'VIEWPORT_DATA_CHANGED'],
];

/** The active viewport's series, or undefined while none is shown yet. */
export function activeSeriesFacts(services: Services): SeriesFacts | undefined {
  const { viewportGridService, displaySetService } = services;
  const viewportId = viewportGridService?.getActiveViewportId();
  const uid = viewportId ? viewportGridService?.getDisplaySetsUIDsForViewport(viewportId)?.[0] : undefined;
  const ds = uid ? displaySetService?.getDisplaySetByUID(uid) : undefined;
  if (!ds) return undefined;
  return {
    modality: ds.Modality ?? ds.instances?.[0]?.Modality,
    numImages: ds.numImageFrames ?? ds.imageIds?.length ?? ds.instances?.length,
  };
}

/**
 * Puts the panel in the right side panel while the active series qualifies and takes it out while it does
 * not. Returns what it did, for the caller's one-time activation. Undetermined (no series yet): nothing.
 */
export function syncPanel(services: Services): 'added' | 'removed' | 'kept' | 'unknown' {
  const { panelService } = services;
  const facts = activeSeriesFacts(services);
  if (!panelService || !facts) return 'unknown';
  const right = panelService.getPanels('right').map((p) => p.id);
  const present = right.includes(PANEL_ID);
  const wanted = isSliceFinderSeries(facts);
  if (wanted && !present) {
    panelService.addPanel('right', PANEL_ID, { rightPanelClosed: false });
    return 'added';
  }
  if (!wanted && present) {
    const left = panelService.getPanels('left').map((p) => p.id);
    panelService.setPanels({ left, right: right.filter((id) => id !== PANEL_ID) });
    return 'removed';
  }
  return 'kept';
}

/**
 * Our instance from the stock longitudinal one: same layout, our panel first on the right.
 * `extensionByName`: whether the viewer can import the extension by its name (see modeFactory).
 */
export function sliceFinderInstance(base: ModeInstance, { extensionByName }: { extensionByName: boolean }): ModeInstance {
  const baseEnter = base.onModeEnter;
  const instance: ModeInstance = {
    ...base,
    id: MODE_ID,
    routeName: ROUTE_NAME,
    displayName: 'Slice Finder',
    hide: false,
    isValidMode,
    extensions: { ...(base.extensions ?? {}), ...(extensionByName ? { [EXTENSION_ID]: EXTENSION_VERSION } : {}) },
    // The stock buttons plus ours (a pack the extension registers); onModeEnter puts it in the toolbar.
    toolbarButtons: [...(base.toolbarButtons ?? []), { $reference: TOOLBAR_BUTTONS_CUSTOMIZATION }],
    routes: base.routes.map((route) => ({
      ...route,
      path: ROUTE_NAME,
      layoutInstance: {
        ...route.layoutInstance,
        props: {
          ...route.layoutInstance.props,
          // First, so it is the tab shown; open, since the mode exists for it. Taken out by syncPanel
          // when the series shown is not one the mode serves.
          rightPanels: [PANEL_ID, ...(route.layoutInstance.props.rightPanels ?? []).filter((p) => p !== PANEL_ID)],
          rightPanelClosed: false,
        },
      },
    })),
    onModeEnter(this: ModeInstance, args: ModeEnterArgs) {
      baseEnter?.call(this, args);
      const { services } = args.servicesManager;
      // Appended to the viewer's bindings at mode scope: the route binds 'ohif.hotkeyBindings' right after
      // onModeEnter, which is how OHIF 3.13 gives a mode its hotkeys (and lists them in the preferences).
      services.customizationService?.setCustomizations?.({ 'ohif.hotkeyBindings': { $push: HOTKEYS } });
      const buttons = services.toolbarService?.getButtons?.() ?? {};
      if (buttons[TOOLBAR_BUTTON_ID]) services.toolbarService?.updateSection(TOOLBAR_SECTION, [TOOLBAR_BUTTON_ID]);
      const update = () => {
        if (syncPanel(services) === 'added') services.panelService?.activatePanel(PANEL_ID, true);
      };
      const subs: Array<{ unsubscribe(): void }> = [];
      for (const [name, event] of WATCHED) {
        const service = services[name] as PubSub | undefined;
        const eventName = service?.EVENTS?.[event];
        if (service?.subscribe && eventName) subs.push(service.subscribe(eventName, update));
      }
      // The stock onModeExit calls these.
      this._unsubscriptions = [...(this._unsubscriptions ?? []), ...subs.map((s) => () => s.unsubscribe())];
      update();
    },
  };
  return instance;
}

const mode: ModeModule & { extensionDependencies: Record<string, string>; isValidMode: typeof isValidMode } = {
  id: MODE_ID,
  extensionDependencies: { [EXTENSION_ID]: EXTENSION_VERSION },
  isValidMode,
  async modeFactory({ modeConfiguration, loadModules }) {
    if (!loadModules) throw new Error(`${MODE_ID} needs OHIF 3.13's modeFactory({ loadModules }) to build on ${LONGITUDINAL_MODE}`);
    const [longitudinal] = (await loadModules([LONGITUDINAL_MODE])) as ModeModule[];
    if (!longitudinal) throw new Error(`${MODE_ID}: ${LONGITUDINAL_MODE} is not in this viewer`);
    // The site's modeConfiguration (immutability-helper commands, as for any stock mode) goes to the
    // stock factory, so it applies to the layout we build on.
    const base = longitudinal.modeFactory
      ? await longitudinal.modeFactory.call(longitudinal, { modeConfiguration, loadModules })
      : longitudinal.modeInstance;
    if (!base) throw new Error(`${MODE_ID}: ${LONGITUDINAL_MODE} gave no mode instance`);
    // The mode route imports every key of `extensions` by name before it enters. A viewer built with the
    // extension in pluginConfig.json knows the name; a prebuilt viewer that loaded the extension by URL
    // (app-config `extensions: ['/ext/slice-finder.mjs']`) does not, and there importing the bare name
    // fails the route. So the extension is a route dependency only where its name loads.
    const extensionByName = await loadModules([EXTENSION_ID]).then(
      ([extension]) => !!extension,
      () => false,
    );
    return sliceFinderInstance(base, { extensionByName });
  },
};

export default mode;
