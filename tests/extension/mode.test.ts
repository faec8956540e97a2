/**
 * The Slice Finder mode (mode/src/index.ts) against a stand-in for the stock longitudinal mode shaped
 * like OHIF 3.13.2's (modeFactory over a modeInstance whose route's layoutTemplate reads layoutInstance),
 * and its ids against the extension's manifest. The real host is covered by tests/e2e/mode.test.ts.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import mode, {
  EXTENSION_ID,
  EXTENSION_VERSION,
  HOTKEYS,
  isSliceFinderSeries,
  isValidMode,
  LONGITUDINAL_MODE,
  MODE_ID,
  PANEL_ID,
  ROUTE_NAME,
  TOOLBAR_BUTTON_ID,
  TOOLBAR_BUTTONS_CUSTOMIZATION,
  type ModeEnterArgs,
} from '../../mode/src/index';
import { readExtensionPackage } from '../../scripts/extension-docs';
import { FakePubSub } from './support/fakeHost';

const SEG = '@ohif/extension-cornerstone.panelModule.panelSegmentation';
const MEASUREMENTS = '@ohif/extension-measurement-tracking.panelModule.trackedMeasurements';
const SERIES_LIST = '@ohif/extension-measurement-tracking.panelModule.seriesList';
const VIEWPORTS = [{ namespace: '@ohif/extension-measurement-tracking.viewportModule.cornerstone-tracked', displaySetsToDisplay: ['stack'] }];

/** The stock longitudinal mode as 3.13.2 ships it, reduced to what the mode builds on. */
function stockLongitudinal() {
  const stockEnter = jest.fn();
  const factoryArgs: unknown[] = [];
  const modeInstance = {
    id: LONGITUDINAL_MODE,
    routeName: 'viewer',
    displayName: 'Basic Viewer',
    routes: [
      {
        path: 'longitudinal',
        layoutTemplate(this: { layoutInstance: unknown }) {
          return this.layoutInstance;
        },
        layoutInstance: {
          id: '@ohif/extension-default.layoutTemplateModule.viewerLayout',
          props: { leftPanels: [SERIES_LIST], rightPanels: [SEG, MEASUREMENTS], rightPanelClosed: true, viewports: VIEWPORTS },
        },
      },
    ],
    extensions: { '@ohif/extension-default': '^3.0.0' },
    toolbarButtons: [{ $reference: 'cornerstone.toolbarButtons' }],
    hangingProtocol: 'default',
    onModeEnter: stockEnter,
  };
  const module = {
    id: LONGITUDINAL_MODE,
    modeInstance,
    modeFactory(this: { modeInstance: typeof modeInstance }, args: unknown) {
      factoryArgs.push(args);
      return this.modeInstance;
    },
  };
  return { module, stockEnter, factoryArgs };
}

/** `extensionByName`: the viewer imports the extension by name (pluginConfig build), or fails to (prebuilt viewer). */
async function build({ extensionByName = true } = {}) {
  const stock = stockLongitudinal();
  const loadModules = jest.fn(async (names: string[]) =>
    names.map((n) => {
      if (n === LONGITUDINAL_MODE) return stock.module;
      if (n === EXTENSION_ID && extensionByName) return { id: EXTENSION_ID };
      throw new TypeError(`Failed to resolve module specifier '${n}'`);
    }),
  );
  const modeConfiguration = { displayName: { $set: 'x' } };
  const instance = (await mode.modeFactory!.call(mode, { modeConfiguration, loadModules })) as unknown as Record<string, unknown> & {
    routes: Array<{ path: string; layoutTemplate(): { props: Record<string, unknown> } }>;
    onModeEnter(this: unknown, args: ModeEnterArgs): void;
    _unsubscriptions?: Array<() => void>;
  };
  return { instance, stock, loadModules, modeConfiguration };
}

describe('isValidMode (the worklist, per study)', () => {
  test.each([
    ['CT', 133, true],
    ['CT\\SR', 134, true],
    ['MR', 40, false],
    ['CT', 5, false],
    ['PT\\CT', 300, true],
    ['', 50, false],
  ])('%s with %i images: %s', (modalities, instances, valid) => {
    expect(isValidMode({ modalities, study: { instances } }).valid).toBe(valid);
  });
  test('the series rule: CT of at least 10 images', () => {
    expect(isSliceFinderSeries({ modality: 'CT', numImages: 10 })).toBe(true);
    expect(isSliceFinderSeries({ modality: 'ct', numImages: 133 })).toBe(true);
    expect(isSliceFinderSeries({ modality: 'CT', numImages: 9 })).toBe(false);
    expect(isSliceFinderSeries({ modality: 'MR', numImages: 100 })).toBe(false);
    expect(isSliceFinderSeries({ modality: 'CT' })).toBe(false);
  });
});

describe('modeFactory: the stock longitudinal mode plus the panel', () => {
  test("builds on the host's longitudinal mode, passing the site's modeConfiguration to it", async () => {
    const { instance, stock, loadModules, modeConfiguration } = await build();
    expect(loadModules).toHaveBeenCalledWith([LONGITUDINAL_MODE]);
    expect(loadModules).toHaveBeenCalledWith([EXTENSION_ID]);
    expect(stock.factoryArgs).toEqual([{ modeConfiguration, loadModules }]);
    expect(instance).toMatchObject({ id: MODE_ID, routeName: ROUTE_NAME, displayName: 'Slice Finder', hide: false, hangingProtocol: 'default' });
    expect(instance.extensions).toEqual({ '@ohif/extension-default': '^3.0.0', [EXTENSION_ID]: EXTENSION_VERSION });
    expect(instance.toolbarButtons).toEqual([{ $reference: 'cornerstone.toolbarButtons' }, { $reference: TOOLBAR_BUTTONS_CUSTOMIZATION }]);
    expect(instance.isValidMode).toBe(isValidMode);
  });

  test('the layout is the stock one with the panel first on the right, open; the stock instance is untouched', async () => {
    const { instance, stock } = await build();
    const [route] = instance.routes;
    expect(route.path).toBe(ROUTE_NAME);
    const layout = route.layoutTemplate();
    expect(layout.props).toEqual({ leftPanels: [SERIES_LIST], rightPanels: [PANEL_ID, SEG, MEASUREMENTS], rightPanelClosed: false, viewports: VIEWPORTS });
    expect(layout.props.viewports).toBe(VIEWPORTS);
    expect(stock.module.modeInstance.routes[0].layoutInstance.props.rightPanels).toEqual([SEG, MEASUREMENTS]);
    expect(stock.module.modeInstance.id).toBe(LONGITUDINAL_MODE);
  });

  test('a viewer that cannot import the extension by name (loaded by URL) does not get it as a route dependency', async () => {
    const { instance } = await build({ extensionByName: false });
    expect(instance.extensions).toEqual({ '@ohif/extension-default': '^3.0.0' });
    expect(instance.routes[0].layoutTemplate().props.rightPanels).toEqual([PANEL_ID, SEG, MEASUREMENTS]);
  });

  test('without the stock mode in the viewer the factory says so', async () => {
    await expect(mode.modeFactory!.call(mode, { loadModules: async () => [undefined] })).rejects.toThrow(/@ohif\/mode-longitudinal is not in this viewer/);
  });
});

/** A host with the services onModeEnter touches: panels, the active series, toolbar, customizations. */
function fakeServices(series: { Modality?: string; numImageFrames?: number } | undefined) {
  let right = [PANEL_ID, SEG, MEASUREMENTS];
  const left = [SERIES_LIST];
  let active = series;
  const panelService = {
    getPanels: (position: string) => (position === 'right' ? right : left).map((id) => ({ id })),
    addPanel: jest.fn((position: string, id: string) => {
      if (position === 'right') right = [...right, id];
    }),
    setPanels: jest.fn((panels: Record<string, string[]>) => {
      right = panels.right;
    }),
    activatePanel: jest.fn(),
  };
  const viewportGridService = Object.assign(new FakePubSub({ GRID_STATE_CHANGED: 'grid', ACTIVE_VIEWPORT_ID_CHANGED: 'active', VIEWPORTS_READY: 'ready' }), {
    getActiveViewportId: () => 'vp1',
    getDisplaySetsUIDsForViewport: () => (active ? ['ds1'] : []),
  });
  const displaySetService = Object.assign(new FakePubSub({ DISPLAY_SETS_ADDED: 'added', DISPLAY_SETS_CHANGED: 'changed' }), {
    getDisplaySetByUID: () => active,
  });
  const toolbarService = { getButtons: () => ({ [TOOLBAR_BUTTON_ID]: {} }), updateSection: jest.fn() };
  const customizationService = { setCustomizations: jest.fn() };
  return {
    services: { panelService, viewportGridService, displaySetService, toolbarService, customizationService },
    rightPanels: () => right,
    show(next: typeof series) {
      active = next;
      viewportGridService.emit('GRID_STATE_CHANGED');
    },
  };
}

describe('onModeEnter', () => {
  test('runs the stock entry, adds the hotkeys and the toolbar button; the panel stays for a CT of 10+ images', async () => {
    const { instance, stock } = await build();
    const host = fakeServices({ Modality: 'CT', numImageFrames: 133 });
    const args = { servicesManager: { services: host.services } } as unknown as ModeEnterArgs;
    instance.onModeEnter.call(instance, args);
    expect(stock.stockEnter).toHaveBeenCalledWith(args);
    expect(stock.stockEnter.mock.instances[0]).toBe(instance);
    expect(host.services.customizationService.setCustomizations).toHaveBeenCalledWith({ 'ohif.hotkeyBindings': { $push: HOTKEYS } });
    expect(host.services.toolbarService.updateSection).toHaveBeenCalledWith('primary', [TOOLBAR_BUTTON_ID]);
    expect(host.rightPanels()).toEqual([PANEL_ID, SEG, MEASUREMENTS]);
  });

  test('the panel leaves for an MR or a short CT and comes back, activated, for a CT stack; exit unsubscribes', async () => {
    const { instance } = await build();
    const host = fakeServices(undefined);
    instance.onModeEnter.call(instance, { servicesManager: { services: host.services } } as unknown as ModeEnterArgs);
    // No series yet: nothing decided.
    expect(host.rightPanels()).toEqual([PANEL_ID, SEG, MEASUREMENTS]);
    host.show({ Modality: 'MR', numImageFrames: 40 });
    expect(host.rightPanels()).toEqual([SEG, MEASUREMENTS]);
    expect(host.services.panelService.setPanels).toHaveBeenCalledWith({ left: [SERIES_LIST], right: [SEG, MEASUREMENTS] });
    host.show({ Modality: 'CT', numImageFrames: 3 });
    expect(host.rightPanels()).toEqual([SEG, MEASUREMENTS]);
    host.show({ Modality: 'CT', numImageFrames: 120 });
    expect(host.rightPanels()).toEqual([SEG, MEASUREMENTS, PANEL_ID]);
    expect(host.services.panelService.activatePanel).toHaveBeenCalledTimes(1);
    expect(host.services.panelService.activatePanel).toHaveBeenCalledWith(PANEL_ID, true);

    // The stock onModeExit calls the mode's _unsubscriptions: after that, series changes do nothing.
    expect(host.services.viewportGridService.listenerCount('GRID_STATE_CHANGED')).toBe(1);
    for (const unsubscribe of instance._unsubscriptions ?? []) unsubscribe();
    expect(host.services.viewportGridService.listenerCount('GRID_STATE_CHANGED')).toBe(0);
    host.show({ Modality: 'MR', numImageFrames: 40 });
    expect(host.rightPanels()).toEqual([SEG, MEASUREMENTS, PANEL_ID]);
  });
});

describe("the mode's references to the extension", () => {
  const pkg = readExtensionPackage();
  const contributes = pkg.sliceFinder.contributes;
  const modePkg = JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'mode', 'package.json'), 'utf8')) as {
    name: string;
    keywords: string[];
    peerDependencies: Record<string, string>;
  };

  test("are the extension's: its id and version, its panel, its commands, its toolbar button", () => {
    expect(EXTENSION_ID).toBe(pkg.name);
    expect(EXTENSION_VERSION).toBe(`^${pkg.version}`);
    expect(modePkg.peerDependencies[EXTENSION_ID]).toBe(EXTENSION_VERSION);
    expect(contributes.panels.map((p) => p.id)).toContain(PANEL_ID);
    const commands = contributes.commands.map((c) => c.id);
    expect(HOTKEYS.map((h) => h.commandName)).toEqual(['sliceFinder.next', 'sliceFinder.previous']);
    for (const h of HOTKEYS) expect(commands).toContain(h.commandName);
    expect(contributes.toolbarButtons).toEqual([expect.objectContaining({ id: TOOLBAR_BUTTON_ID, customization: TOOLBAR_BUTTONS_CUSTOMIZATION })]);
  });

  test('the package: name = mode id, keyword ohif-mode, @ohif/core ^3.13.0', () => {
    expect(modePkg.name).toBe(MODE_ID);
    expect(mode.id).toBe(MODE_ID);
    expect(modePkg.keywords).toContain('ohif-mode');
    expect(modePkg.peerDependencies['@ohif/core']).toBe('^3.13.0');
  });
});
