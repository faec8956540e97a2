/** sliceFinder.search / next / previous / clear, for hotkeys, toolbar buttons and other extensions. */
import type { SearchOptions } from './controller/SliceFinderController';
import { COMMANDS, PANEL_ID } from './ids';
import type { Runtime } from './runtime';

interface PanelService {
  activatePanel?(panelId: string, forceActive?: boolean): void;
}

export function getCommandsModule(runtime: Runtime) {
  const { controller } = runtime;
  const actions = {
    /** Runs a search; options override the panel's fields. Opens the panel so the results are seen. */
    sliceFinderSearch: (options: SearchOptions = {}) => {
      const services = runtime.params.servicesManager.services as { panelService?: PanelService };
      services.panelService?.activatePanel?.(PANEL_ID, true);
      const { query, preset, topK, minScore } = options;
      return controller.search({ query, preset, topK, minScore });
    },
    sliceFinderNext: () => controller.next(),
    sliceFinderPrevious: () => controller.previous(),
    sliceFinderClear: () => controller.clear(),
  };
  return {
    actions,
    definitions: {
      [COMMANDS.search]: { commandFn: actions.sliceFinderSearch },
      [COMMANDS.next]: { commandFn: actions.sliceFinderNext },
      [COMMANDS.previous]: { commandFn: actions.sliceFinderPrevious },
      [COMMANDS.clear]: { commandFn: actions.sliceFinderClear },
    },
    defaultContext: 'VIEWER',
  };
}
