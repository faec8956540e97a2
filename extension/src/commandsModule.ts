/**
 * The extension's commands, for hotkeys (ids.ts HOTKEYS, registered on mode enter), toolbar buttons
 * and other extensions: search, cancel, step through lesions and their slices, the heat overlay, clear,
 * save the ticked lesions to the PACS.
 */
import type { SearchOptions } from './controller/SliceFinderController';
import { COMMANDS, PANEL_ID } from './ids';
import type { Runtime } from './runtime';

interface PanelService {
  activatePanel?(panelId: string, forceActive?: boolean): void;
}

export function getCommandsModule(runtime: Runtime) {
  const { controller } = runtime;
  const openPanel = () => {
    const services = runtime.params.servicesManager.services as { panelService?: PanelService };
    services.panelService?.activatePanel?.(PANEL_ID, true);
  };
  const actions = {
    /** Runs a search; options override the panel's fields. Opens the panel so the results are seen. */
    sliceFinderSearch: (options: SearchOptions = {}) => {
      openPanel();
      const { query, preset, topK, minScore } = options;
      return controller.search({ query, preset, topK, minScore });
    },
    /** The toolbar button's command: shows the panel (opening the right side panel if closed). */
    sliceFinderOpen: () => openPanel(),
    sliceFinderCancel: () => controller.cancel(),
    sliceFinderNext: () => controller.next(),
    sliceFinderPrevious: () => controller.previous(),
    sliceFinderNextSlice: () => controller.nextSlice(),
    sliceFinderPreviousSlice: () => controller.previousSlice(),
    sliceFinderToggleHeat: () => controller.toggleHeat(),
    sliceFinderClear: () => controller.clear(),
    /** Saves these lesions (ids of the answer shown; the ticked ones by default) as a report and key images. */
    sliceFinderSaveReport: (options: { lesions?: number[] } = {}) => {
      openPanel();
      return controller.saveReport(options.lesions);
    },
  };
  return {
    actions,
    definitions: {
      [COMMANDS.search]: { commandFn: actions.sliceFinderSearch },
      [COMMANDS.open]: { commandFn: actions.sliceFinderOpen },
      [COMMANDS.cancel]: { commandFn: actions.sliceFinderCancel },
      [COMMANDS.next]: { commandFn: actions.sliceFinderNext },
      [COMMANDS.previous]: { commandFn: actions.sliceFinderPrevious },
      [COMMANDS.nextSlice]: { commandFn: actions.sliceFinderNextSlice },
      [COMMANDS.previousSlice]: { commandFn: actions.sliceFinderPreviousSlice },
      [COMMANDS.toggleHeat]: { commandFn: actions.sliceFinderToggleHeat },
      [COMMANDS.clear]: { commandFn: actions.sliceFinderClear },
      [COMMANDS.saveReport]: { commandFn: actions.sliceFinderSaveReport },
    },
    defaultContext: 'VIEWER',
  };
}
