/**
 * What an OHIF extension object contributes, found by calling it the way OHIF 3.13 does (preRegistration,
 * the module getters, onModeEnter/onModeExit) with a minimal host, and the problems between that and the
 * contribution manifest of its package.json (`sliceFinder.contributes`).
 *
 * Plain CommonJS on purpose: the jest tests use it on the TypeScript sources, and a plain `node` child
 * uses it on the ES modules that `npm pack` ships (jest cannot import those).
 */

/** Host managers with nothing behind them: enough for registration, which must not touch the viewer. */
function minimalParams(registeredHotkeys) {
  return {
    servicesManager: { services: {} },
    commandsManager: { runCommand() {} },
    extensionManager: { getModuleEntry: () => undefined, getActiveDataSource: () => [] },
    hotkeysManager: { registerHotkeys: (definition) => registeredHotkeys.push(definition) },
    appConfig: {},
    configuration: {},
  };
}

function commandOf(commands) {
  if (typeof commands === 'string') return commands;
  if (Array.isArray(commands)) return commandOf(commands[0]);
  return commands && commands.commandName;
}

function describeExtension(ext) {
  const hotkeys = [];
  const params = minimalParams(hotkeys);
  if (ext.preRegistration) ext.preRegistration(params);
  const getters = Object.keys(ext)
    .filter((k) => /^get\w+Module$/.test(k) && typeof ext[k] === 'function')
    .sort();
  const panels = (ext.getPanelModule ? ext.getPanelModule(params) : []).map((p) => ({
    id: `${ext.id}.panelModule.${p.name}`,
    name: p.name,
    label: p.label,
    icon: p.iconName,
    component: typeof p.component,
  }));
  const commandsModule = ext.getCommandsModule ? ext.getCommandsModule(params) : { definitions: {} };
  const commands = Object.entries(commandsModule.definitions || {})
    .filter(([, d]) => typeof (d && d.commandFn) === 'function')
    .map(([id]) => id)
    .sort();
  const toolbarButtons = [];
  for (const c of ext.getCustomizationModule ? ext.getCustomizationModule(params) : []) {
    if (c.name !== 'default') continue;
    for (const [customization, list] of Object.entries(c.value || {})) {
      if (!Array.isArray(list)) continue;
      for (const b of list) {
        toolbarButtons.push({ id: b.id, command: commandOf(b.props && b.props.commands), icon: b.props && b.props.icon, label: b.props && b.props.label, customization });
      }
    }
  }
  if (ext.onModeEnter) ext.onModeEnter(params);
  if (ext.onModeExit) ext.onModeExit(params);
  return {
    id: ext.id,
    getters,
    panels,
    commands,
    toolbarButtons,
    hotkeys: hotkeys.map((h) => ({ command: h.commandName, keys: [...h.keys], label: h.label })),
  };
}

const REQUIRED_GETTERS = ['getCommandsModule', 'getCustomizationModule', 'getPanelModule'];
const json = (v) => JSON.stringify(v);

/** Where the extension and its package.json manifest disagree; [] when they agree. */
function manifestProblems(description, pkg) {
  const problems = [];
  const m = pkg.sliceFinder && pkg.sliceFinder.contributes;
  if (!m) return ['package.json has no sliceFinder.contributes'];
  if (description.id !== pkg.name) problems.push(`extension id ${description.id} differs from the package name ${pkg.name}`);
  for (const g of REQUIRED_GETTERS) if (!description.getters.includes(g)) problems.push(`the extension has no ${g}`);

  const declaredPanels = m.panels.map((p) => ({ id: p.id, name: p.name, label: p.label, icon: p.icon }));
  const actualPanels = description.panels.map((p) => ({ id: p.id, name: p.name, label: p.label, icon: p.icon }));
  if (json(declaredPanels) !== json(actualPanels)) problems.push(`panels: manifest ${json(declaredPanels)}, extension ${json(actualPanels)}`);
  for (const p of description.panels) if (p.component !== 'function') problems.push(`panel ${p.id} has no component`);

  const declared = m.commands.map((c) => c.id);
  for (const id of declared) if (!description.commands.includes(id)) problems.push(`command ${id} is declared but not in the commands module`);
  for (const id of description.commands) if (!declared.includes(id)) problems.push(`command ${id} is in the commands module but not declared`);
  for (const c of m.commands) {
    const a = c.arguments;
    if (!a || a.type !== 'object' || typeof a.properties !== 'object') problems.push(`command ${c.id} has no argument schema`);
  }

  if (json(m.hotkeys) !== json(description.hotkeys)) problems.push(`hotkeys: manifest ${json(m.hotkeys)}, registered ${json(description.hotkeys)}`);
  for (const h of m.hotkeys) if (!declared.includes(h.command)) problems.push(`hotkey ${h.keys} runs ${h.command}, which is not declared`);

  const declaredButtons = m.toolbarButtons.map((b) => ({ id: b.id, command: b.command, icon: b.icon, label: b.label, customization: b.customization }));
  if (json(declaredButtons) !== json(description.toolbarButtons)) problems.push(`toolbar buttons: manifest ${json(declaredButtons)}, extension ${json(description.toolbarButtons)}`);
  for (const b of m.toolbarButtons) if (!description.commands.includes(b.command)) problems.push(`toolbar button ${b.id} runs ${b.command}, which is not in the commands module`);
  return problems;
}

module.exports = { describeExtension, manifestProblems, minimalParams };
