/**
 * The panel in a fake OHIF host against a fake backend: what it sends, where it jumps, what it
 * draws and clears, how it shows progress and every failure, keyboard use, and Chinese.
 */
import { act, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { OVERLAY_ATTRIBUTE } from '../../extension/src/viewer/boxOverlay';
import { deferred } from './support/fakeBackend';
import { imageIdOf, reversedSeries } from './support/fakeHost';
import { mountPanel, unmountAll } from './support/mountPanel';
import { parsedQuery, region, rerankResponse } from './support/responses';

const SOPS = reversedSeries(120);
const QUERY = '8 mm spiculated nodule, left lower lobe, blah';
const PARSED = parsedQuery(
  QUERY,
  [
    { id: 'f0.size', word: '8 mm', kind: 'size', value: '8' },
    { id: 'f0.margin', word: 'spiculated', kind: 'margin', value: 'spiculated' },
    { id: 'f0.type', word: 'nodule', kind: 'type', value: 'nodule' },
    { id: 'f0.side', word: 'left', kind: 'side', value: 'left' },
    { id: 'f0.lobe', word: 'lower lobe', kind: 'lobe', value: 'LLL' },
  ],
  ['blah'],
);
/** Best first; indices refer to the displayed order the panel sent. */
const RESULTS = [
  { sopInstanceUID: SOPS[57], index: 57, score: 0.91, regions: [region(100, 120, 20, 16)], matched: ['f0.type', 'f0.margin'] },
  { sopInstanceUID: SOPS[58], index: 58, score: 0.74, regions: [region(101, 121, 18, 15)], matched: ['f0.type'] },
  { sopInstanceUID: SOPS[12], index: 12, score: 0.31, regions: [region(300, 200, 10, 10, 0.3, 'candidate')], matched: [] },
];

afterEach(unmountAll);

async function search(user: ReturnType<typeof mountPanel>['user'], text = QUERY) {
  const box = await screen.findByLabelText('Describe the finding');
  await user.clear(box);
  await user.type(box, text);
  await user.keyboard('{Enter}');
}

const overlays = () => Array.from(document.querySelectorAll(`svg[${OVERLAY_ATTRIBUTE}]`));

test('Enter sends the query, preset, topK and the series in displayed order, with the user’s Authorization', async () => {
  const { backend, user, host } = mountPanel({ defaultPreset: 'lesion-search', topK: 7 });
  host.setAuthorization('Bearer abc.def');
  backend.respondWith(rerankResponse(PARSED, RESULTS));
  await search(user);
  await screen.findByRole('listbox', { name: 'Results' });
  const [req] = backend.requestsTo('/api/v1/rerank/stream');
  expect(req.method).toBe('POST');
  expect(req.headers.authorization).toBe('Bearer abc.def');
  expect(req.body).toEqual({
    query: QUERY,
    preset: 'lesion-search',
    topK: 7,
    minScore: 0,
    series: {
      source: 'dicomweb',
      wadoRoot: 'https://pacs.example/dicom-web',
      studyInstanceUID: '1.2.3',
      seriesInstanceUID: '1.2.3.4',
      sopInstanceUIDs: SOPS,
    },
  });
});

test('the sliders and the preset selector change what is sent', async () => {
  const { backend, user } = mountPanel();
  backend.respondWith(rerankResponse(PARSED, RESULTS));
  await user.type(await screen.findByLabelText('Describe the finding'), 'nodule');
  fireEvent.change(screen.getByLabelText('Results to show'), { target: { value: '25' } });
  fireEvent.change(screen.getByLabelText('Minimum score'), { target: { value: '0.4' } });
  await user.selectOptions(screen.getByLabelText('Matching preset'), 'strict');
  await user.click(screen.getByRole('button', { name: 'Find' }));
  await screen.findByRole('listbox');
  expect(backend.requestsTo('/api/v1/rerank/stream')[0].body).toMatchObject({ topK: 25, minScore: 0.4, preset: 'strict' });
});

test('the best result is jumped to and outlined on its own image; clear removes only our drawing', async () => {
  const { backend, user, host } = mountPanel();
  backend.respondWith(rerankResponse(PARSED, RESULTS));
  await search(user);
  await screen.findByRole('listbox');
  expect(host.commands.filter((c) => c.name === 'jumpToImage')).toEqual([{ name: 'jumpToImage', options: { imageIndex: 57 } }]);
  expect(host.viewport.getCurrentImageIdIndex()).toBe(57);
  const [svg] = overlays();
  expect(svg.getAttribute(OVERLAY_ATTRIBUTE)).toBe(imageIdOf(SOPS[57]));
  expect(host.viewport.element.contains(svg)).toBe(true);
  // Region (100,120) 20×16 px → world ×0.7 → canvas ×2 + 10, then a 3 px margin.
  const rect = svg.querySelector('rect')!;
  expect(Number(rect.getAttribute('x'))).toBeCloseTo(100 * 1.4 + 10 - 3);
  expect(Number(rect.getAttribute('y'))).toBeCloseTo(120 * 1.4 + 10 - 3);
  expect(Number(rect.getAttribute('width'))).toBeCloseTo(20 * 1.4 + 6);
  expect(Number(rect.getAttribute('height'))).toBeCloseTo(16 * 1.4 + 6);

  // Scrolling away hides the box; coming back shows it again.
  act(() => host.params.commandsManager.runCommand('jumpToImage', { imageIndex: 3 }));
  expect(svg.querySelector('rect')).toBeNull();
  act(() => host.params.commandsManager.runCommand('jumpToImage', { imageIndex: 57 }));
  expect(svg.querySelector('rect')).not.toBeNull();

  const userSvg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  host.viewport.element.appendChild(userSvg);
  await user.click(screen.getByRole('button', { name: 'Clear highlights' }));
  expect(overlays()).toHaveLength(0);
  expect(host.viewport.element.contains(userSvg)).toBe(true);
  expect(screen.queryByRole('listbox')).toBeNull();
});

test('annotation mode hydrates RectangleROI boxes on the result image and removes only those', async () => {
  const { backend, user, host, run } = mountPanel({ drawMode: 'annotation' });
  backend.respondWith(rerankResponse(PARSED, RESULTS));
  await search(user);
  await screen.findByRole('listbox');
  const ours = [...host.annotations.entries()].filter(([uid]) => uid !== host.userAnnotationUID);
  expect(ours).toHaveLength(1);
  const [, annotation] = ours[0];
  expect(annotation.referencedImageId).toBe(imageIdOf(SOPS[57]));
  expect(annotation.viewportId).toBe('default');
  // Corners in the fake geometry: (column, row) × 0.7 mm, z from the image.
  const z = Number(SOPS[57].split('.').pop());
  expect(annotation.points.map((p) => p.map((v) => Math.round(v * 10) / 10))).toEqual([
    [70, 84, z],
    [84, 84, z],
    [70, 95.2, z],
    [84, 95.2, z],
  ]);
  // Stepping replaces our box; the user's measurement stays throughout.
  act(() => void run('sliceFinder.next'));
  const after = [...host.annotations.values()].filter((a) => a.referencedImageId === imageIdOf(SOPS[58]));
  expect(after).toHaveLength(1);
  expect(host.annotations.size).toBe(2);
  act(() => void run('sliceFinder.clear'));
  expect([...host.annotations.keys()]).toEqual([host.userAnnotationUID]);
});

test('progress lines from the stream drive the progress bar until the result arrives', async () => {
  const { backend, user } = mountPanel();
  const gate = deferred();
  backend.respondWith(
    rerankResponse(PARSED, RESULTS),
    [
      { type: 'progress', phase: 'fetch', done: 30, total: 120 },
      { type: 'progress', phase: 'fetch', done: 120, total: 120 },
      { type: 'progress', phase: 'decode', done: 60, total: 120 },
      { type: 'progress', phase: 'analyse' },
    ],
    { promise: gate.promise, after: 3 },
  );
  await search(user);
  const bar = await screen.findByRole('progressbar', { name: 'Search progress' });
  await waitFor(() => expect(bar.getAttribute('aria-valuetext')).toBe('Decoding images 60/120'));
  expect(Number(bar.getAttribute('aria-valuenow'))).toBe(50);
  expect((screen.getByRole('button', { name: 'Find' }) as HTMLButtonElement).disabled).toBe(true);
  await act(async () => gate.resolve());
  await screen.findByRole('listbox');
  expect(screen.queryByRole('progressbar')).toBeNull();
  expect(screen.getByText('3 results in 560 ms')).toBeTruthy();
  expect(screen.getByText('Model lesion-cnn 1.0.0 on cpu')).toBeTruthy();
});

test('recognised terms are highlighted and text that was not understood is marked', async () => {
  const { backend, user } = mountPanel();
  backend.respondWith(rerankResponse(PARSED, RESULTS));
  await search(user);
  const reading = await screen.findByLabelText('How the description was read');
  const marks = Array.from(reading.querySelectorAll('mark')).map((m) => [m.textContent, m.getAttribute('data-kind')]);
  expect(marks).toEqual([
    ['8 mm', 'size'],
    ['spiculated', 'margin'],
    ['nodule', 'type'],
    ['left', 'side'],
    ['lower lobe', 'lobe'],
  ]);
  expect(Array.from(reading.querySelectorAll('[data-unknown]')).map((u) => u.textContent)).toEqual(['blah']);
  expect(reading.textContent).toBe(QUERY);
});

test('each result shows its slice number, score and matched terms; a click jumps there', async () => {
  const { backend, user, host } = mountPanel();
  backend.respondWith(rerankResponse(PARSED, RESULTS));
  await search(user);
  const options = within(await screen.findByRole('listbox')).getAllByRole('option');
  expect(options).toHaveLength(3);
  expect(options[0].textContent).toContain('Slice 58 of 120');
  expect(options[0].textContent).toContain('Score 0.91');
  expect(within(options[0]).getByText('spiculated')).toBeTruthy();
  expect(options[2].textContent).toContain('no term matched');
  await user.click(options[2]);
  expect(host.viewport.getCurrentImageIdIndex()).toBe(12);
  expect(options[2].getAttribute('aria-selected')).toBe('true');
  expect(overlays().map((s) => s.getAttribute(OVERLAY_ATTRIBUTE))).toEqual([imageIdOf(SOPS[12])]);
});

test('the keyboard alone steps through the results', async () => {
  const { backend, user, host, run } = mountPanel();
  backend.respondWith(rerankResponse(PARSED, RESULTS));
  await search(user);
  const list = await screen.findByRole('listbox', { name: 'Results' });
  // Tab from the query box reaches the list; every control on the way is labelled.
  list.focus();
  // OHIF's hotkeys listen on the document (ArrowDown = next image); our keys must not reach them.
  const hostHotkeys: string[] = [];
  const onDocKey = (e: KeyboardEvent) => hostHotkeys.push(e.key);
  document.addEventListener('keydown', onDocKey);
  await user.keyboard('{ArrowDown}');
  expect(host.viewport.getCurrentImageIdIndex()).toBe(58);
  expect(hostHotkeys).toEqual([]);
  document.removeEventListener('keydown', onDocKey);
  expect(list.getAttribute('aria-activedescendant')).toBe('sf-result-1');
  await user.keyboard('{ArrowDown}{ArrowDown}');
  expect(host.viewport.getCurrentImageIdIndex()).toBe(12);
  await user.keyboard('{ArrowUp}');
  expect(host.viewport.getCurrentImageIdIndex()).toBe(58);
  await user.keyboard('{Home}');
  expect(host.viewport.getCurrentImageIdIndex()).toBe(57);
  act(() => void run('sliceFinder.next'));
  expect(host.viewport.getCurrentImageIdIndex()).toBe(58);
  act(() => void run('sliceFinder.previous'));
  expect(host.viewport.getCurrentImageIdIndex()).toBe(57);
  await user.click(screen.getByRole('button', { name: 'Next result' }));
  expect(host.viewport.getCurrentImageIdIndex()).toBe(58);
  expect(overlays()).toHaveLength(1);
  // Alt+arrows step from the query box too, without leaving it.
  const box = screen.getByLabelText('Describe the finding');
  box.focus();
  await user.keyboard('{Alt>}{ArrowDown}{/Alt}');
  expect(host.viewport.getCurrentImageIdIndex()).toBe(12);
  await user.keyboard('{Alt>}{ArrowUp}{ArrowUp}{/Alt}');
  expect(host.viewport.getCurrentImageIdIndex()).toBe(57);
  expect(document.activeElement).toBe(box);
});

test('switching the active viewport drops results drawn in the previous one', async () => {
  const { backend, user, host } = mountPanel();
  backend.respondWith(rerankResponse(PARSED, RESULTS));
  await search(user);
  await screen.findByRole('listbox');
  const grid = host.params.servicesManager.services.viewportGridService as unknown as { getActiveViewportId: () => string };
  grid.getActiveViewportId = () => 'other';
  act(() => host.viewportGridService.emit('ACTIVE_VIEWPORT_ID_CHANGED'));
  await waitFor(() => expect(screen.queryByRole('listbox')).toBeNull());
  expect(overlays()).toHaveLength(0);
});

test('every form control has an accessible name', async () => {
  mountPanel();
  await screen.findByLabelText('Describe the finding');
  for (const el of document.querySelectorAll('textarea, select, input, button')) {
    const labelled = el.getAttribute('aria-label') || (el.id && document.querySelector(`label[for="${el.id}"]`)) || el.textContent?.trim();
    expect(labelled).toBeTruthy();
  }
});

test('sliceFinder.search runs a search with the given text', async () => {
  const { backend, run, host } = mountPanel();
  backend.respondWith(rerankResponse(PARSED, RESULTS));
  await screen.findByLabelText('Describe the finding');
  await act(async () => {
    await run('sliceFinder.search', { query: QUERY, topK: 3 });
  });
  expect(backend.requestsTo('/api/v1/rerank/stream')[0].body).toMatchObject({ query: QUERY, topK: 3 });
  expect(host.viewport.getCurrentImageIdIndex()).toBe(57);
  expect((screen.getByLabelText('Describe the finding') as HTMLTextAreaElement).value).toBe(QUERY);
});

describe('messages', () => {
  test('backend unreachable: says so, draws nothing, the viewer keeps its image', async () => {
    const { backend, user, host } = mountPanel();
    backend.fail('/api/v1/rerank/stream', { kind: 'network-error' });
    act(() => host.params.commandsManager.runCommand('jumpToImage', { imageIndex: 9 }));
    await search(user);
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toMatch(/backend cannot be reached/);
    expect(host.viewport.getCurrentImageIdIndex()).toBe(9);
    expect(overlays()).toHaveLength(0);
    expect((screen.getByRole('button', { name: 'Find' }) as HTMLButtonElement).disabled).toBe(false);
  });

  test('a proxy answering 502 without our JSON body also reads as unreachable', async () => {
    const { backend, user } = mountPanel();
    backend.fail('/api/v1/rerank/stream', { kind: 'json', status: 502, body: '<html>Bad gateway</html>' });
    await search(user);
    expect((await screen.findByRole('alert')).textContent).toMatch(/backend cannot be reached/);
  });

  test('a series that is not CT is refused before calling the backend', async () => {
    const { backend, user } = mountPanel({}, { modality: 'MR', sopInstanceUIDs: reversedSeries(40) });
    await search(user);
    expect((await screen.findByRole('alert')).textContent).toBe('This series is MR, not CT. Slice Finder works on CT series only.');
    expect(backend.requestsTo('/api/v1/rerank/stream')).toHaveLength(0);
    expect(backend.requestsTo('/api/v1/series/prepare')).toHaveLength(0);
  });

  test('too few slices is refused before calling the backend', async () => {
    const { backend, user } = mountPanel({ minSlices: 10 }, { sopInstanceUIDs: reversedSeries(4) });
    await search(user);
    expect((await screen.findByRole('alert')).textContent).toMatch(/has 4 images; .* at least 10/);
    expect(backend.requestsTo('/api/v1/rerank/stream')).toHaveLength(0);
  });

  test('a series the service rejects (422) shows its reason', async () => {
    const { backend, user } = mountPanel();
    backend.fail('/api/v1/rerank/stream', {
      kind: 'json',
      status: 422,
      body: { statusCode: 422, code: 'not_a_stack', message: 'slices are not parallel' },
    });
    await search(user);
    expect((await screen.findByRole('alert')).textContent).toBe('This series is not supported: slices are not parallel');
  });

  test('an error line in the stream is shown like an HTTP error', async () => {
    const { backend, user } = mountPanel();
    backend.fail('/api/v1/rerank/stream', {
      kind: 'stream',
      lines: [{ type: 'progress', phase: 'fetch' }, { type: 'error', statusCode: 504, code: 'pacs_timeout', message: 'PACS timed out' }],
    });
    await search(user);
    expect((await screen.findByRole('alert')).textContent).toMatch(/image archive did not answer/);
  });

  test('a finding type the model cannot judge is named, and results still come', async () => {
    const { backend, user } = mountPanel();
    const q = parsedQuery('liver lesion with vacuole sign', [
      { id: 'f0.type', word: 'liver lesion', kind: 'type', value: 'other' },
      { id: 'f0.sign', word: 'vacuole sign', kind: 'sign', value: 'vacuole' },
    ]);
    backend.respondWith(
      rerankResponse(q, RESULTS.slice(0, 1).map((r) => ({ ...r, matched: ['f0.sign'] })), { unsupported: [{ finding: 0, terms: ['f0.type', 'f0.sign'], reason: 'not modelled' }] }),
    );
    await search(user, q.text);
    const status = await screen.findByRole('status');
    expect(status.textContent).toBe('The current model cannot judge: liver lesion, vacuole sign. The results ignore these terms.');
    expect(within(screen.getByRole('listbox')).getAllByRole('option')).toHaveLength(1);
  });

  test('no confident match: listed, but no jump and no outline', async () => {
    const { backend, user, host } = mountPanel();
    backend.respondWith(rerankResponse(PARSED, RESULTS.map((r) => ({ ...r, score: r.score / 4 })), { noConfidentMatch: true }));
    await search(user);
    expect((await screen.findByRole('status')).textContent).toMatch(/No confident match/);
    expect(within(screen.getByRole('listbox')).getAllByRole('option')).toHaveLength(3);
    expect(host.commands.filter((c) => c.name === 'jumpToImage')).toHaveLength(0);
    expect(overlays()).toHaveLength(0);
  });

  test('no result at all, and none above a minimum score', async () => {
    const { backend, user } = mountPanel();
    backend.respondWith(rerankResponse(PARSED, [], { noConfidentMatch: true }));
    await search(user);
    expect((await screen.findByRole('status')).textContent).toBe('No slice matched this description.');
    fireEvent.change(screen.getByLabelText('Minimum score'), { target: { value: '0.5' } });
    await user.click(screen.getByRole('button', { name: 'Find' }));
    await waitFor(() =>
      expect(screen.getByRole('status').textContent).toBe('No slice scored above the minimum score (0.50). Try a lower minimum.'),
    );
    expect(screen.queryByRole('listbox')).toBeNull();
  });

  test('an empty query asks for a description', async () => {
    const { backend, user } = mountPanel();
    await user.click(await screen.findByRole('button', { name: 'Find' }));
    expect((await screen.findByRole('alert')).textContent).toBe('Type a description first.');
    expect(backend.requestsTo('/api/v1/rerank/stream')).toHaveLength(0);
  });
});

describe('Chinese', () => {
  test('follows the viewer language: labels, progress and messages in Chinese', async () => {
    localStorage.setItem('i18nextLng', 'zh-CN');
    const { backend, user } = mountPanel();
    const q = parsedQuery('右肺上叶磨玻璃影伴空泡征', [
      { id: 'f0.side', word: '右肺', kind: 'side', value: 'right' },
      { id: 'f0.lobe', word: '上叶', kind: 'lobe', value: 'RUL' },
      { id: 'f0.type', word: '磨玻璃影', kind: 'texture', value: 'ground-glass' },
      { id: 'f0.sign', word: '空泡征', kind: 'sign', value: 'vacuole' },
    ]);
    backend.respondWith(rerankResponse(q, RESULTS.slice(0, 2).map((r) => ({ ...r, matched: ['f0.sign'] }))));
    const box = await screen.findByLabelText('描述所见');
    expect(screen.getByRole('button', { name: '查找' })).toBeTruthy();
    expect(screen.getByLabelText('匹配方式')).toBeTruthy();
    expect(screen.getByRole('option', { name: '影像报告匹配' })).toBeTruthy();
    await user.type(box, q.text);
    await user.keyboard('{Enter}');
    const list = await screen.findByRole('listbox', { name: '结果' });
    expect(within(list).getAllByRole('option')[0].textContent).toContain('第 58 层，共 120 层');
    expect(within(list).getAllByText('空泡征')).toHaveLength(2);
    expect(screen.getByRole('button', { name: '清除标记' })).toBeTruthy();
  });

  test('a language switched in the viewer is picked up when the panel is used again', async () => {
    const { user } = mountPanel();
    await screen.findByLabelText('Describe the finding');
    localStorage.setItem('i18nextLng', 'zh-CN');
    await user.click(screen.getByRole('combobox'));
    expect(await screen.findByLabelText('描述所见')).toBeTruthy();
  });

  test('Chinese error message for an unreachable backend', async () => {
    localStorage.setItem('i18nextLng', 'zh');
    const { backend, user } = mountPanel();
    backend.fail('/api/v1/rerank/stream', { kind: 'network-error' });
    await user.type(await screen.findByLabelText('描述所见'), '结节');
    await user.keyboard('{Enter}');
    expect((await screen.findByRole('alert')).textContent).toBe('无法连接切片定位服务。请确认服务正在运行；阅片器可继续使用。');
  });

  test('Enter that confirms an input-method candidate does not search', async () => {
    const { backend } = mountPanel();
    const box = await screen.findByLabelText('Describe the finding');
    fireEvent.change(box, { target: { value: 'jiejie' } });
    fireEvent.keyDown(box, { key: 'Enter', keyCode: 229 });
    fireEvent.keyDown(box, { key: 'Enter', isComposing: true });
    await new Promise((r) => setTimeout(r, 20));
    expect(backend.requestsTo('/api/v1/rerank/stream')).toHaveLength(0);
  });
});

describe('series changes', () => {
  test('the shown series is prepared on mount and again when the viewport shows another one', async () => {
    const { backend, host } = mountPanel();
    await waitFor(() => expect(backend.requestsTo('/api/v1/series/prepare')).toHaveLength(1));
    expect(backend.requestsTo('/api/v1/series/prepare')[0].body).toEqual({
      series: {
        source: 'dicomweb',
        wadoRoot: 'https://pacs.example/dicom-web',
        studyInstanceUID: '1.2.3',
        seriesInstanceUID: '1.2.3.4',
        sopInstanceUIDs: SOPS,
      },
    });
    const other = reversedSeries(60, '1.2.826.0.1.3680043.8.499');
    act(() => host.showSeries({ seriesInstanceUID: '1.2.3.5', sopInstanceUIDs: other }));
    await waitFor(() => expect(backend.requestsTo('/api/v1/series/prepare')).toHaveLength(2));
    expect(backend.requestsTo('/api/v1/series/prepare')[1].body).toMatchObject({ series: { seriesInstanceUID: '1.2.3.5', sopInstanceUIDs: other } });
  });

  test('results of the previous series and their drawings go when the series changes', async () => {
    const { backend, user, host } = mountPanel();
    backend.respondWith(rerankResponse(PARSED, RESULTS));
    await search(user);
    await screen.findByRole('listbox');
    expect(overlays()).toHaveLength(1);
    act(() => host.showSeries({ seriesInstanceUID: '1.2.3.5', sopInstanceUIDs: reversedSeries(50, '1.2.9') }));
    await waitFor(() => expect(screen.queryByRole('listbox')).toBeNull());
    expect(overlays()).toHaveLength(0);
  });

  test('a search still running when the series changes is dropped: no jump, no drawing, no list', async () => {
    const { backend, user, host } = mountPanel();
    const gate = deferred();
    backend.respondWith(rerankResponse(PARSED, RESULTS), [{ type: 'progress', phase: 'fetch', done: 1, total: 120 }], { promise: gate.promise, after: 1 });
    await search(user);
    await screen.findByRole('progressbar');
    act(() => host.showSeries({ seriesInstanceUID: '1.2.3.5', sopInstanceUIDs: reversedSeries(50, '1.2.9') }));
    await waitFor(() => expect(screen.queryByRole('progressbar')).toBeNull());
    await act(async () => gate.resolve());
    await new Promise((r) => setTimeout(r, 20));
    expect(screen.queryByRole('listbox')).toBeNull();
    expect(host.commands.filter((c) => c.name === 'jumpToImage')).toHaveLength(0);
    expect(overlays()).toHaveLength(0);
  });

  test('a backend that is down during warm-up does not disturb the panel', async () => {
    const { backend } = mountPanel();
    backend.fail('/api/v1/series/prepare', { kind: 'network-error' });
    await waitFor(() => expect(backend.requestsTo('/api/v1/series/prepare').length).toBeGreaterThan(0));
    expect(screen.queryByRole('alert')).toBeNull();
  });
});

test('closing and reopening the panel keeps the results; the island root is unmounted in between', async () => {
  const { backend, user, view, panel } = mountPanel();
  backend.respondWith(rerankResponse(PARSED, RESULTS));
  await search(user);
  await screen.findByRole('listbox');
  const island = document.querySelector('[data-slice-finder-island]')!;
  view.unmount();
  await act(async () => {
    await new Promise((r) => setTimeout(r, 0));
  });
  expect(island.isConnected).toBe(false);
  expect(island.childElementCount).toBe(0);
  const Panel = panel.component;
  render(<Panel />);
  const options = within(await screen.findByRole('listbox')).getAllByRole('option');
  expect(options).toHaveLength(3);
  expect(options[0].getAttribute('aria-selected')).toBe('true');
});
