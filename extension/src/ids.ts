/** Names the host sees: the extension id, the panel module entry, the commands. */
export const EXTENSION_ID = '@slice-finder/extension';
export const PANEL_NAME = 'sliceFinder';
/** What app-config pushes into a mode's rightPanels. */
export const PANEL_ID = `${EXTENSION_ID}.panelModule.${PANEL_NAME}`;
export const COMMANDS = {
  search: 'sliceFinder.search',
  next: 'sliceFinder.next',
  previous: 'sliceFinder.previous',
  clear: 'sliceFinder.clear',
} as const;
