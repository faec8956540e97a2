/**
 * Names the host sees: the extension id, the panel module entry, the commands, their default hotkeys and
 * the toolbar button. extension/package.json's `sliceFinder.contributes` declares the same names; a test
 * (tests/extension/manifest.test.ts) holds the two together.
 */
/** Equals the package name: OHIF's pluginConfig build refuses an extension whose id differs from it. */
export const EXTENSION_ID = '@slice-finder/ohif-extension';
export const PANEL_NAME = 'sliceFinder';
/** What app-config pushes into a mode's rightPanels. */
export const PANEL_ID = `${EXTENSION_ID}.panelModule.${PANEL_NAME}`;
export const COMMANDS = {
  search: 'sliceFinder.search',
  open: 'sliceFinder.open',
  cancel: 'sliceFinder.cancel',
  next: 'sliceFinder.next',
  previous: 'sliceFinder.previous',
  nextSlice: 'sliceFinder.nextSlice',
  previousSlice: 'sliceFinder.previousSlice',
  toggleHeat: 'sliceFinder.toggleHeat',
  clear: 'sliceFinder.clear',
  saveReport: 'sliceFinder.saveReport',
} as const;

/**
 * Default hotkeys (Mousetrap syntax, as OHIF's hotkeys manager binds them on the document): they work
 * with focus on the viewport. Alt+arrows are free in OHIF 3.13's defaults (its plain arrows step images
 * and viewports); the user can rebind them in the viewer's hotkey preferences.
 */
export const HOTKEYS = [
  { commandName: COMMANDS.next, keys: ['alt+down'], label: 'Slice Finder: next lesion', isEditable: true },
  { commandName: COMMANDS.previous, keys: ['alt+up'], label: 'Slice Finder: previous lesion', isEditable: true },
  { commandName: COMMANDS.nextSlice, keys: ['alt+right'], label: 'Slice Finder: next slice of the lesion', isEditable: true },
  { commandName: COMMANDS.previousSlice, keys: ['alt+left'], label: 'Slice Finder: previous slice of the lesion', isEditable: true },
] as const;

/** The customization (registered at default scope) that holds our toolbar button; a mode references it. */
export const TOOLBAR_BUTTONS_CUSTOMIZATION = 'sliceFinder.toolbarButtons';
export const TOOLBAR_BUTTON_ID = 'SliceFinder';
/** An OHIF 3.13 toolbar button definition (ToolbarService.register): opens the panel. */
export const TOOLBAR_BUTTON = {
  id: TOOLBAR_BUTTON_ID,
  uiType: 'ohif.toolButton',
  props: {
    icon: 'icon-search',
    label: 'Slice Finder',
    tooltip: 'Slice Finder: find the slice a description names',
    commands: COMMANDS.open,
    evaluate: 'evaluate.action',
  },
} as const;
