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
      iconName: 'tab-linear',
      iconLabel: 'Slice Finder',
      label: 'Slice Finder',
      component,
    },
  ];
}
