/** Registers the real extension object against a fake host and renders its panel like OHIF does. */
import { act, cleanup, render } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { createExtension } from '../../../extension/src/index';
import { createFakeHost, removeHotkeyListeners, reversedSeries, type FakeSeriesSpec } from './fakeHost';
import { FakeBackend } from './fakeBackend';

export function mountPanel(configuration: Record<string, unknown> = {}, series: FakeSeriesSpec = { sopInstanceUIDs: reversedSeries(120) }) {
  const host = createFakeHost(series);
  const backend = new FakeBackend();
  backend.install();
  const extension = createExtension();
  const params = { ...host.params, configuration };
  extension.preRegistration(params);
  const [panel] = extension.getPanelModule(params);
  const commandsModule = extension.getCommandsModule(params);
  host.registerCommands(commandsModule.definitions as Parameters<typeof host.registerCommands>[0]);
  // OHIF calls each extension's onModeEnter with the managers (hotkeys included) once the mode starts.
  extension.onModeEnter({ hotkeysManager: host.params.hotkeysManager });
  const run = (name: string, options?: Record<string, unknown>) =>
    (commandsModule.definitions as Record<string, { commandFn: (o?: Record<string, unknown>) => unknown }>)[name].commandFn(options);
  const Panel = panel.component;
  const user = userEvent.setup();
  const view = render(<Panel />);
  return { host, backend, extension, panel, commandsModule, run, user, view };
}

/** Lets the island's deferred unmount run and removes the fake viewport. */
export async function unmountAll() {
  cleanup();
  await act(async () => {
    await new Promise((r) => setTimeout(r, 0));
  });
  document.body.innerHTML = '';
  localStorage.clear();
  removeHotkeyListeners();
}
