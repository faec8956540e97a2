/** The panel module: one right-side panel whose component is the island host. */
import { PANEL_NAME } from './ids';
import { createIsland } from './panel/island';
import { SliceFinderPanel } from './panel/SliceFinderPanel';
import type { Runtime } from './runtime';

export function getPanelModule(runtime: Runtime) {
  const component = createIsland(() => <SliceFinderPanel controller={runtime.controller} viewer={runtime.viewer} />);
  return [
    {
      name: PANEL_NAME,
      // A magnifier from the 3.13 icon set (Icons.ByName), distinct from the measurement tabs.
      iconName: 'icon-search',
      iconLabel: 'Slice Finder',
      label: 'Slice Finder',
      component,
    },
  ];
}
