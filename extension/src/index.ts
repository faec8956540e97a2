/**
 * The Slice Finder OHIF extension. Loaded at run time as an ES module (app-config `extensions`), or
 * built into a viewer through pluginConfig.json (see extension/README.md); configured under
 * window.config.sliceFinder (or by an `[extension, configuration]` pair).
 */
import { getCommandsModule } from './commandsModule';
import { EXTENSION_ID, HOTKEYS, TOOLBAR_BUTTON, TOOLBAR_BUTTONS_CUSTOMIZATION } from './ids';
import { getPanelModule } from './panelModule';
import { createRuntime, type Runtime } from './runtime';
import type { ExtensionParams } from './viewer/hostTypes';

export { EXTENSION_ID, PANEL_ID, COMMANDS, HOTKEYS, TOOLBAR_BUTTON, TOOLBAR_BUTTON_ID, TOOLBAR_BUTTONS_CUSTOMIZATION } from './ids';
export type { SliceFinderConfig } from './config';

export function createExtension() {
  let runtime: Runtime | undefined;
  // The host calls preRegistration and every get*Module with the same managers; build once.
  const ensure = (params: ExtensionParams): Runtime => {
    if (!runtime || runtime.params.servicesManager !== params.servicesManager) runtime = createRuntime(params);
    return runtime;
  };
  return {
    id: EXTENSION_ID,
    preRegistration: (params: ExtensionParams) => {
      ensure(params);
    },
    onModeEnter: (params: Partial<ExtensionParams> = {}) => {
      // The mode's exit resets every hotkey binding (hotkeysManager.destroy): bind ours on every entry.
      // The host binds them on the document, so they work with focus on the viewport.
      const hotkeys = params.hotkeysManager ?? runtime?.params.hotkeysManager;
      for (const definition of HOTKEYS) hotkeys?.registerHotkeys({ ...definition, keys: [...definition.keys] });
      runtime?.controller.startWatching();
    },
    onModeExit: () => {
      runtime?.controller.stopWatchingSeries();
      runtime?.controller.reset();
    },
    getPanelModule: (params: ExtensionParams) => getPanelModule(ensure(params)),
    getCommandsModule: (params: ExtensionParams) => getCommandsModule(ensure(params)),
    /**
     * Registered at default scope when the extension registers: the toolbar button as a pack that a mode
     * lists in its toolbarButtons (`{ $reference: 'sliceFinder.toolbarButtons' }`), as the Slice Finder
     * mode does. Needs no runtime, so the pack exists before any mode is entered. A copy each time:
     * ToolbarService.register writes into a button's props.
     */
    getCustomizationModule: () => [{ name: 'default', value: { [TOOLBAR_BUTTONS_CUSTOMIZATION]: [{ ...TOOLBAR_BUTTON, props: { ...TOOLBAR_BUTTON.props } }] } }],
  };
}

const extension = createExtension();
export default extension;
