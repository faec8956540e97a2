/**
 * The contribution manifest in extension/package.json (`sliceFinder.contributes`) against the extension
 * itself: panels, commands (and their argument schemas), hotkeys and the toolbar button against the
 * extension object; settings against config.ts; the README's tables against the manifest.
 */
import Ajv from 'ajv';
import { readFileSync } from 'node:fs';
import { getCommandsModule } from '../../extension/src/commandsModule';
import { DEFAULT_CONFIG, resolveConfig } from '../../extension/src/config';
import extension from '../../extension/src/index';
import { EXTENSION_ID, PANEL_ID } from '../../extension/src/ids';
import type { Runtime } from '../../extension/src/runtime';
import { README, readExtensionPackage, renderReadme, settingsTable, type SettingSchema } from '../../scripts/extension-docs';
import { describeExtension, manifestProblems } from './support/describe-extension';

const pkg = readExtensionPackage();
const manifest = pkg.sliceFinder;
const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

describe('package identity', () => {
  test('the extension id is the package name; keyword, @ohif/core peer range and OHIF versions as OHIF plugins declare them', () => {
    expect(EXTENSION_ID).toBe(pkg.name);
    expect(pkg.name).toBe('@slice-finder/ohif-extension');
    expect(pkg.keywords).toContain('ohif-extension');
    expect(pkg.peerDependencies['@ohif/core']).toBe('^3.13.0');
    expect(manifest.ohifVersions).toBe(pkg.peerDependencies['@ohif/core']);
    // The version the end-to-end suite runs (scripts/setup-viewer.ts) is one the manifest claims.
    const tested = readFileSync(require.resolve('../../scripts/setup-viewer'), 'utf8').match(/OHIF_VERSION = '([\d.]+)'/)?.[1];
    expect(manifest.testedWith).toBe(tested);
    expect(tested).toMatch(/^3\.13\.\d+$/);
  });
});

describe('the extension object agrees with its manifest', () => {
  const description = describeExtension(extension);

  test('panels, commands, hotkeys and the toolbar button', () => {
    expect(manifestProblems(description, pkg)).toEqual([]);
    expect(description.panels.map((p) => p.id)).toEqual([PANEL_ID]);
    expect(description.commands).toContain('sliceFinder.search');
    expect(description.hotkeys.map((h) => h.command)).toEqual(['sliceFinder.next', 'sliceFinder.previous', 'sliceFinder.nextSlice', 'sliceFinder.previousSlice']);
  });

  test('the check catches each kind of disagreement', () => {
    const extra = clone(pkg);
    extra.sliceFinder.contributes.commands.push({ id: 'sliceFinder.nope', description: 'x', arguments: { type: 'object', properties: {} } });
    expect(manifestProblems(description, extra)).toEqual(['command sliceFinder.nope is declared but not in the commands module']);

    const missing = clone(pkg);
    missing.sliceFinder.contributes.commands = missing.sliceFinder.contributes.commands.filter((c) => c.id !== 'sliceFinder.clear');
    expect(manifestProblems(description, missing)).toEqual(['command sliceFinder.clear is in the commands module but not declared']);

    const hotkey = clone(pkg);
    hotkey.sliceFinder.contributes.hotkeys[0].keys = ['ctrl+down'];
    expect(manifestProblems(description, hotkey).join('\n')).toMatch(/^hotkeys: manifest/);

    const renamed = clone(pkg);
    renamed.name = '@slice-finder/extension';
    expect(manifestProblems(description, renamed)).toEqual(['extension id @slice-finder/ohif-extension differs from the package name @slice-finder/extension']);

    const button = clone(pkg);
    button.sliceFinder.contributes.toolbarButtons[0].command = 'sliceFinder.gone';
    expect(manifestProblems(description, button).join('\n')).toContain('toolbar button SliceFinder runs sliceFinder.gone, which is not in the commands module');
  });
});

describe('command argument schemas', () => {
  const ajv = new Ajv({ strict: true });
  const schemaOf = (id: string) => {
    const c = manifest.contributes.commands.find((x) => x.id === id);
    if (!c) throw new Error(`no ${id} in the manifest`);
    return c.arguments;
  };
  function fakeRuntime() {
    const controller = { search: jest.fn(async () => undefined) };
    const activatePanel = jest.fn();
    const runtime = { controller, params: { servicesManager: { services: { panelService: { activatePanel } } } } } as unknown as Runtime;
    return { runtime, controller, activatePanel };
  }

  test('every schema compiles; sliceFinder.search passes on exactly the arguments its schema declares', async () => {
    for (const c of manifest.contributes.commands) expect(() => ajv.compile(c.arguments)).not.toThrow();
    const validate = ajv.compile(schemaOf('sliceFinder.search'));
    const args = { query: 'nodule in the left lower lobe', preset: 'strict', topK: 3, minScore: 0.4 };
    expect(validate(args)).toBe(true);
    expect(validate({ ...args, topK: 0 })).toBe(false);
    expect(validate({ ...args, limit: 3 })).toBe(false);

    const { runtime, controller, activatePanel } = fakeRuntime();
    await getCommandsModule(runtime).definitions['sliceFinder.search'].commandFn({ ...args, ignored: true } as never);
    expect(controller.search).toHaveBeenCalledWith(args);
    const passed = (controller.search.mock.calls[0] as unknown[])[0] as Record<string, unknown>;
    expect(Object.keys(passed).sort()).toEqual(Object.keys(schemaOf('sliceFinder.search').properties).sort());
    expect(activatePanel).toHaveBeenCalledWith(PANEL_ID, true);
  });

  test("the toolbar button's command opens the panel and takes no arguments", () => {
    expect(Object.keys(schemaOf('sliceFinder.open').properties)).toEqual([]);
    const { runtime, controller, activatePanel } = fakeRuntime();
    getCommandsModule(runtime).definitions['sliceFinder.open'].commandFn();
    expect(activatePanel).toHaveBeenCalledWith(PANEL_ID, true);
    expect(controller.search).not.toHaveBeenCalled();
  });
});

describe('settings against config.ts', () => {
  const settings = manifest.contributes.settings;

  test('the declared settings are exactly what config.ts resolves, and the defaults are its defaults', () => {
    const full = resolveConfig({ language: 'zh', model: 'some-model' });
    expect(Object.keys(full).sort()).toEqual(Object.keys(settings).sort());
    const ajv = new Ajv({ strict: false });
    const validate = ajv.compile({ type: 'object', properties: settings, additionalProperties: false });
    expect(validate(full)).toBe(true);
    const defaults = resolveConfig({});
    for (const [key, s] of Object.entries(settings)) {
      expect([key, defaults[key as keyof typeof defaults]]).toEqual([key, s.default]);
    }
    expect(defaults).toEqual(DEFAULT_CONFIG);
  });

  /** A valid value other than the default, from the declared type. */
  function another(s: SettingSchema): unknown {
    if (s.enum) return s.enum.find((v) => v !== s.default);
    if (s.type === 'boolean') return !s.default;
    if (s.type === 'string') return s.default === 'http://sf.example:3030' ? 'x' : 'http://sf.example:3030';
    const lo = s.minimum ?? 0;
    const hi = s.maximum ?? lo + 10;
    const v = s.type === 'integer' ? Math.floor((lo + hi) / 2) : (lo + hi) / 3;
    return v === s.default ? v + (s.type === 'integer' ? 1 : 0.01) : v;
  }

  test.each(Object.keys(manifest.contributes.settings))('config.ts reads %s', (key) => {
    const value = another(settings[key]);
    expect(value).not.toBe(settings[key].default);
    expect(resolveConfig({ [key]: value })[key as keyof typeof DEFAULT_CONFIG]).toEqual(value);
  });
});

describe('README', () => {
  test("extension/README.md's tables are the ones generated from the manifest (npm run docs:extension)", () => {
    const readme = readFileSync(README, 'utf8');
    expect(renderReadme(readme, manifest)).toBe(readme);
    for (const key of Object.keys(manifest.contributes.settings)) expect(readme).toContain(`| \`${key}\` |`);
    for (const c of manifest.contributes.commands) expect(readme).toContain(`| \`${c.id}\` |`);
  });

  test('a changed manifest changes the generated table', () => {
    const changed = clone(manifest);
    changed.contributes.settings.topK.default = 25;
    expect(settingsTable(changed)).toContain('| `topK` | integer 1..100 | `25` |');
    expect(settingsTable(manifest)).toContain('| `topK` | integer 1..100 | `10` |');
  });
});
