/**
 * The panel in a fake OHIF host against a fake backend: what it sends, how it answers in lesions (a
 * section per finding, one row per lesion), where it jumps, what it draws the OHIF way (labelled
 * RectangleROI measurements, a labelmap heat overlay) and clears, stepping by keys and hotkeys,
 * Cancel, progress, every message, and Chinese.
 */
import { act, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { MAX_QUERY_CHARS } from '../../contract/limits';
import { deferred } from './support/fakeBackend';
import { imageIdOf, reversedSeries, type FakeHost } from './support/fakeHost';
import { mountPanel, unmountAll } from './support/mountPanel';
import { lesion, parsedQuery, rerankAnswer } from './support/responses';

const SOPS = reversedSeries(120);
const QUERY = '8 mm spiculated nodule, left lower lobe. ground-glass opacity, right upper lobe';
const PARSED = parsedQuery(QUERY, [
  [
    { id: 'f0.size', word: '8 mm', kind: 'size', value: '8' },
    { id: 'f0.margin', word: 'spiculated', kind: 'margin', value: 'spiculated' },
    { id: 'f0.type', word: 'nodule', kind: 'type', value: 'nodule' },
    { id: 'f0.lobe', word: 'left lower lobe', kind: 'lobe', value: 'LLL' },
  ],
  [
    { id: 'f1.texture', word: 'ground-glass', kind: 'texture', value: 'ground-glass' },
    { id: 'f1.type', word: 'opacity', kind: 'type', value: 'ground-glass opacity' },
    { id: 'f1.lobe', word: 'right upper lobe', kind: 'lobe', value: 'RUL' },
  ],
]);
/** Finding 1: a confident nodule over slices 50–60 (best 55) and a doubtful one over 10–14 (best 12); finding 2: a doubtful one over 80–90. */
const A = lesion(0, 50, 60, {
  score: 0.91,
  matched: ['f0.type', 'f0.margin', 'f0.lobe'],
  mismatched: [{ term: 'f0.size', stated: '8', measured: '29 mm' }],
});
const B = lesion(1, 10, 14, { score: 0.2, confident: false, matched: ['f0.type'], sizeMm: { long: 6.2, short: 5.1 } });
const C = lesion(2, 80, 90, {
  score: 0.35,
  confident: false,
  side: 'right',
  lobe: 'RUL',
  zone: 'upper',
  matched: ['f1.lobe'],
  mismatched: [{ term: 'f1.texture', stated: 'ground-glass', measured: 'solid' }],
});
const ANSWER = rerankAnswer(PARSED, [[A, B], [C]]);

afterEach(unmountAll);

async function search(user: ReturnType<typeof mountPanel>['user'], text = QUERY, label = 'Describe the finding') {
  const box = await screen.findByLabelText(label);
  await user.clear(box);
  fireEvent.change(box, { target: { value: text } });
  box.focus();
  await user.keyboard('{Enter}');
}

/** The extension's annotations (not the user's), by the image they are on. */
function ours(host: FakeHost) {
  return [...host.annotations.entries()].filter(([uid]) => uid !== host.userAnnotationUID).map(([uid, a]) => ({ uid, ...a }));
}
const onImage = (host: FakeHost, index: number) => ours(host).filter((a) => a.referencedImageId === imageIdOf(SOPS[index]));
const options = () => within(screen.getByRole('listbox')).getAllByRole('option');

test('Enter sends the query, preset, topK and the series in displayed order, with the user’s Authorization', async () => {
  const { backend, user, host } = mountPanel({ defaultPreset: 'lesion-search', topK: 7 });
  host.setAuthorization('Bearer abc.def');
  backend.respondWith(ANSWER);
  await search(user);
  await screen.findByRole('listbox', { name: 'Lesions' });
  const [req] = backend.requestsTo('/api/v1/rerank/stream');
  expect(req.method).toBe('POST');
  expect(req.headers.authorization).toBe('Bearer abc.def');
  expect(req.body).toEqual({
    query: QUERY,
    preset: 'lesion-search',
    topK: 7,
    minScore: 0,
    series: { source: 'dicomweb', wadoRoot: 'https://pacs.example/dicom-web', studyInstanceUID: '1.2.3', seriesInstanceUID: '1.2.3.4', sopInstanceUIDs: SOPS },
  });
});

test('the sliders and the preset selector change what is sent', async () => {
  const { backend, user } = mountPanel();
  backend.respondWith(ANSWER);
  await user.type(await screen.findByLabelText('Describe the finding'), 'nodule');
  fireEvent.change(screen.getByLabelText('Lesions per finding'), { target: { value: '15' } });
  fireEvent.change(screen.getByLabelText('Minimum score'), { target: { value: '0.4' } });
  await user.selectOptions(screen.getByLabelText('Matching preset'), 'strict');
  await user.click(screen.getByRole('button', { name: 'Find' }));
  await screen.findByRole('listbox');
  expect(backend.requestsTo('/api/v1/rerank/stream')[0].body).toMatchObject({ topK: 15, minScore: 0.4, preset: 'strict' });
});

test('a two-finding report shows a section per finding; each lesion row has size, position, slices, score against the cut, matched and mismatched chips', async () => {
  const { backend, user } = mountPanel();
  backend.respondWith(ANSWER);
  await search(user);
  const list = await screen.findByRole('listbox', { name: 'Lesions' });
  const sections = within(list).getAllByRole('group');
  expect(sections.map((s) => s.getAttribute('aria-label'))).toEqual([
    'Finding 1: 8 mm spiculated nodule, left lower lobe',
    'Finding 2: ground-glass opacity, right upper lobe',
  ]);
  expect(within(sections[0]).getAllByRole('option')).toHaveLength(2);
  expect(within(sections[1]).getAllByRole('option')).toHaveLength(1);
  const [a, b, c] = options();
  expect(a.textContent).toContain('Nodule 27 × 21 mm');
  expect(a.textContent).toContain('left lower lobe');
  expect(a.textContent).toContain('Slices 51–61, best 56');
  expect(a.textContent).toContain('Score 0.91 · confident');
  expect(within(a).getByText('spiculated')).toBeTruthy();
  expect(within(a).getByText('size: 8 mm asked, 29 mm measured')).toBeTruthy();
  expect(b.textContent).toContain('Nodule 6.2 × 5.1 mm');
  expect(b.textContent).toContain('Score 0.20 · below the 0.50 cut');
  expect(c.textContent).toContain('right upper lobe');
  expect(within(c).getByText('density: ground-glass asked, solid measured')).toBeTruthy();
  // The cut is marked on every score bar; the finding without a confident lesion says so.
  expect(a.querySelector('.sf-cut')?.getAttribute('style')).toContain('left: 50%');
  expect(within(sections[1]).getByText('No confident match for this finding; the closest lesion is listed first.')).toBeTruthy();
  expect(screen.getByText('3 lesions in 560 ms')).toBeTruthy();
});

test('the best lesion is jumped to and outlined as an OHIF measurement with its label, which leads its text on the image', async () => {
  const { backend, user, host } = mountPanel();
  backend.respondWith(ANSWER);
  await search(user);
  await screen.findByRole('listbox');
  expect(host.commands.filter((c) => c.name === 'jumpToImage')).toEqual([{ name: 'jumpToImage', options: { imageIndex: 55 } }]);
  expect(options()[0].getAttribute('aria-selected')).toBe('true');
  const drawn = ours(host);
  expect(drawn).toHaveLength(1);
  const [a] = drawn;
  expect(a.referencedImageId).toBe(imageIdOf(SOPS[55]));
  expect(a.viewportId).toBe('default');
  expect(a.data.label).toBe('Nodule 27 × 21 mm, left lower lobe');
  expect(a.style).toMatchObject({ lineDash: '' });
  // OHIF's measurement service reads the label on modification: the Measurements panel lists it by name.
  expect(a.modified).toBeGreaterThan(0);
  // Its box (16 px either side of the centre on the best slice) in world coordinates: (column, row) × 0.7 mm.
  const z = Number(SOPS[55].split('.').pop());
  const round = (p: number[]) => p.map((v) => Math.round(v * 10) / 10);
  expect(a.points.map(round)).toEqual([
    [58.8, 72.8, z],
    [81.2, 72.8, z],
    [58.8, 95.2, z],
    [81.2, 95.2, z],
  ]);
  expect(host.textLines(a.uid)).toEqual(['Nodule 27 × 21 mm, left lower lobe', 'Area: 12 mm²', 'Mean: 20 HU']);
  expect(host.textLines(host.userAnnotationUID)).toEqual(['Area: 12 mm²', 'Mean: 20 HU']);
});

test('clicking a lesion row jumps to its best slice and outlines it; the confident lesion stays, a browsed one goes', async () => {
  const { backend, user, host } = mountPanel();
  backend.respondWith(ANSWER);
  await search(user);
  await screen.findByRole('listbox');
  await user.click(options()[1]);
  expect(host.viewport.getCurrentImageIdIndex()).toBe(12);
  expect(options()[1].getAttribute('aria-selected')).toBe('true');
  expect(onImage(host, 12).map((a) => [a.data.label, a.style?.lineDash])).toEqual([['Nodule 6.2 × 5.1 mm, left lower lobe (not confident)', '5,4']]);
  expect(onImage(host, 55)).toHaveLength(1);
  await user.click(options()[2]);
  expect(host.viewport.getCurrentImageIdIndex()).toBe(85);
  expect(onImage(host, 12)).toHaveLength(0);
  expect(ours(host).map((a) => a.referencedImageId).sort()).toEqual([imageIdOf(SOPS[55]), imageIdOf(SOPS[85])].sort());
  // The user's own measurement was never touched.
  expect(host.annotations.get(host.userAnnotationUID)?.data.label).toBe('my measurement');
});

test('stepping moves through the lesions of every section, and within a lesion through its slices', async () => {
  const { backend, user, host, run } = mountPanel();
  backend.respondWith(ANSWER);
  await search(user);
  const list = await screen.findByRole('listbox');
  act(() => void run('sliceFinder.next'));
  expect(host.viewport.getCurrentImageIdIndex()).toBe(12);
  act(() => void run('sliceFinder.next'));
  expect(host.viewport.getCurrentImageIdIndex()).toBe(85);
  act(() => void run('sliceFinder.next'));
  expect(host.viewport.getCurrentImageIdIndex()).toBe(85);
  act(() => void run('sliceFinder.nextSlice'));
  expect(host.viewport.getCurrentImageIdIndex()).toBe(86);
  expect(onImage(host, 86)).toHaveLength(1);
  expect(onImage(host, 85)).toHaveLength(0);
  expect(screen.getByTestId('sf-slice-of-lesion').textContent).toBe('Showing slice 87 (7 of 11)');
  act(() => void run('sliceFinder.previous'));
  expect(host.viewport.getCurrentImageIdIndex()).toBe(12);
  // The keyboard in the list: Up/Down lesions, Right/Left slices; the host's document hotkeys never see the plain arrows.
  list.focus();
  const hostKeys: string[] = [];
  const onDocKey = (e: KeyboardEvent) => hostKeys.push(e.key);
  document.addEventListener('keydown', onDocKey);
  await user.keyboard('{ArrowUp}');
  expect(host.viewport.getCurrentImageIdIndex()).toBe(55);
  await user.keyboard('{ArrowLeft}{ArrowLeft}');
  expect(host.viewport.getCurrentImageIdIndex()).toBe(53);
  await user.keyboard('{End}');
  expect(host.viewport.getCurrentImageIdIndex()).toBe(85);
  expect(list.getAttribute('aria-activedescendant')).toBe('sf-lesion-2');
  await user.keyboard('{Home}');
  expect(host.viewport.getCurrentImageIdIndex()).toBe(55);
  expect(hostKeys).toEqual([]);
  document.removeEventListener('keydown', onDocKey);
  // Leaving the confident lesion on another slice puts its outline back on its best slice.
  act(() => void run('sliceFinder.nextSlice'));
  act(() => void run('sliceFinder.next'));
  expect(onImage(host, 55)).toHaveLength(1);
  expect(onImage(host, 56)).toHaveLength(0);
  // Alt+arrows from the query box step once (the panel handles them before the host's hotkey).
  const box = screen.getByLabelText('Describe the finding');
  box.focus();
  await user.keyboard('{Alt>}{ArrowDown}{/Alt}');
  expect(host.viewport.getCurrentImageIdIndex()).toBe(85);
  await user.keyboard('{Alt>}{ArrowRight}{/Alt}');
  expect(host.viewport.getCurrentImageIdIndex()).toBe(86);
  expect(document.activeElement).toBe(box);
});

test('default hotkeys are registered through the commands module and step with focus on the viewport', async () => {
  const { backend, user, host } = mountPanel();
  expect(host.hotkeys.map((h) => [h.commandName, h.keys.join(' ')])).toEqual([
    ['sliceFinder.next', 'alt+down'],
    ['sliceFinder.previous', 'alt+up'],
    ['sliceFinder.nextSlice', 'alt+right'],
    ['sliceFinder.previousSlice', 'alt+left'],
  ]);
  backend.respondWith(ANSWER);
  await search(user);
  await screen.findByRole('listbox');
  const element = host.viewport.element;
  element.tabIndex = 0;
  element.focus();
  fireEvent.keyDown(element, { key: 'ArrowDown', altKey: true });
  expect(host.viewport.getCurrentImageIdIndex()).toBe(12);
  expect(options()[1].getAttribute('aria-selected')).toBe('true');
  fireEvent.keyDown(element, { key: 'ArrowRight', altKey: true });
  expect(host.viewport.getCurrentImageIdIndex()).toBe(13);
  fireEvent.keyDown(element, { key: 'ArrowUp', altKey: true });
  expect(host.viewport.getCurrentImageIdIndex()).toBe(55);
});

test('no confident match: the closest lesion is still outlined, dashed, and the reason is said', async () => {
  const { backend, user, host } = mountPanel();
  const doubtful = lesion(3, 30, 40, { score: 0.31, confident: false, mismatched: [{ term: 'f0.size', stated: '8', measured: '29 mm' }] });
  backend.respondWith(rerankAnswer(PARSED, [[doubtful], []]));
  await search(user);
  expect((await screen.findAllByRole('status')).map((s) => s.textContent)).toContain(
    'No confident match in this series. The closest lesion is outlined dashed: size: 8 mm asked, 29 mm measured.',
  );
  expect(host.viewport.getCurrentImageIdIndex()).toBe(35);
  expect(onImage(host, 35).map((a) => a.style?.lineDash)).toEqual(['5,4']);
  expect(within(screen.getByRole('listbox')).getByText('No lesion of this series fits this finding.')).toBeTruthy();
});

test('the heat overlay toggles: one labelmap segment per lesion, painted on each of its slices', async () => {
  const { backend, user, host } = mountPanel();
  backend.respondWith(ANSWER);
  await search(user);
  await screen.findByRole('listbox');
  expect(host.segmentations.size).toBe(0);
  await user.click(screen.getByLabelText('Heat overlay'));
  await waitFor(() => expect(host.segmentations.size).toBe(1));
  const [seg] = [...host.segmentations.values()];
  expect(seg.label).toBe('Slice Finder heat');
  expect(Object.values(seg.segments).map((s) => s.label)).toEqual([
    'Nodule 27 × 21 mm, left lower lobe',
    'Nodule 6.2 × 5.1 mm, left lower lobe (not confident)',
    'Nodule 27 × 21 mm, right upper lobe (not confident)',
  ]);
  expect(seg.representations).toEqual(['default']);
  // Lesion A's slices carry segment 1 at its box centre; a slice outside every lesion stays empty.
  const at = (index: number, x: number, y: number) => seg.labelmaps.get(imageIdOf(SOPS[index]))?.[y * 512 + x] ?? 0;
  expect([50, 55, 60].map((i) => at(i, 100, 120))).toEqual([1, 1, 1]);
  expect(at(85, 200, 120)).toBe(3);
  expect(seg.labelmaps.has(imageIdOf(SOPS[70]))).toBe(false);
  expect(seg.colors[1][0]).toBe(255);
  await user.click(screen.getByLabelText('Heat overlay'));
  expect(host.segmentations.size).toBe(0);
  act(() => void host.params.commandsManager.runCommand('sliceFinder.toggleHeat'));
  await waitFor(() => expect(host.segmentations.size).toBe(1));
});

test('Clear highlights removes only what the extension drew (outlines, heat) and keeps the list', async () => {
  const { backend, user, host } = mountPanel({ heatOverlay: true });
  backend.respondWith(ANSWER);
  await search(user);
  await screen.findByRole('listbox');
  await user.click(options()[2]);
  await waitFor(() => expect(host.segmentations.size).toBe(1));
  expect(ours(host)).toHaveLength(2);
  await user.click(screen.getByRole('button', { name: 'Clear highlights' }));
  expect(ours(host)).toHaveLength(0);
  expect(host.segmentations.size).toBe(0);
  expect([...host.annotations.keys()]).toEqual([host.userAnnotationUID]);
  expect(options()).toHaveLength(3);
  expect((screen.getByLabelText('Heat overlay') as HTMLInputElement).checked).toBe(false);
  // Selecting again draws that lesion again.
  await user.click(options()[0]);
  expect(onImage(host, 55)).toHaveLength(1);
});

test('an outline the user deleted in the Measurements panel is not removed twice, and is drawn again when selected', async () => {
  const { backend, user, host } = mountPanel();
  backend.respondWith(ANSWER);
  await search(user);
  await screen.findByRole('listbox');
  const [a] = ours(host);
  host.annotations.delete(a.uid);
  await user.click(options()[1]);
  await user.click(options()[0]);
  expect(onImage(host, 55)).toHaveLength(1);
});

test('progress lines drive the bar; Cancel aborts the request: no jump, no drawing, a message, and Find works again', async () => {
  const { backend, user, host } = mountPanel();
  const gate = deferred();
  backend.respondWith(
    ANSWER,
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
  await user.click(screen.getByRole('button', { name: 'Cancel' }));
  expect(backend.requestsTo('/api/v1/rerank/stream')[0].signal?.aborted).toBe(true);
  await waitFor(() => expect(screen.queryByRole('progressbar')).toBeNull());
  expect(screen.getByRole('status').textContent).toBe('Search cancelled.');
  await act(async () => gate.resolve());
  expect(screen.queryByRole('listbox')).toBeNull();
  expect(host.commands.filter((c) => c.name === 'jumpToImage')).toHaveLength(0);
  expect(ours(host)).toHaveLength(0);
  expect((screen.getByRole('button', { name: 'Find' }) as HTMLButtonElement).disabled).toBe(false);
  backend.respondWith(ANSWER);
  await user.click(screen.getByRole('button', { name: 'Find' }));
  await screen.findByRole('listbox');
  expect(screen.getByText('Model lesion-cnn 1.0.0 on cpu')).toBeTruthy();
});

test('recognised terms are highlighted and text that was not understood is marked', async () => {
  const { backend, user } = mountPanel();
  const q = parsedQuery('spiculated nodule blah', [{ id: 'f0.margin', word: 'spiculated', kind: 'margin', value: 'spiculated' }, { id: 'f0.type', word: 'nodule', kind: 'type', value: 'nodule' }], ['blah']);
  backend.respondWith(rerankAnswer(q, [[A]]));
  await search(user, q.text);
  const reading = await screen.findByLabelText('How the description was read');
  expect(Array.from(reading.querySelectorAll('mark')).map((m) => [m.textContent, m.getAttribute('data-kind')])).toEqual([
    ['spiculated', 'margin'],
    ['nodule', 'type'],
  ]);
  expect(Array.from(reading.querySelectorAll('[data-unknown]')).map((u) => u.textContent)).toEqual(['blah']);
});

test('switching the active viewport drops the answer and what was drawn in the previous one', async () => {
  const { backend, user, host } = mountPanel();
  backend.respondWith(ANSWER);
  await search(user);
  await screen.findByRole('listbox');
  const grid = host.params.servicesManager.services.viewportGridService as unknown as { getActiveViewportId: () => string };
  grid.getActiveViewportId = () => 'other';
  act(() => host.viewportGridService.emit('ACTIVE_VIEWPORT_ID_CHANGED'));
  await waitFor(() => expect(screen.queryByRole('listbox')).toBeNull());
  expect(ours(host)).toHaveLength(0);
});

test('every form control has an accessible name', async () => {
  mountPanel();
  await screen.findByLabelText('Describe the finding');
  for (const el of document.querySelectorAll('textarea, select, input, button')) {
    const labelled = el.getAttribute('aria-label') || (el.id && document.querySelector(`label[for="${el.id}"]`)) || el.closest('label') || el.textContent?.trim();
    expect(labelled).toBeTruthy();
  }
});

test('sliceFinder.search runs a search with the given text', async () => {
  const { backend, run, host } = mountPanel();
  backend.respondWith(ANSWER);
  await screen.findByLabelText('Describe the finding');
  await act(async () => {
    await run('sliceFinder.search', { query: QUERY, topK: 3 });
  });
  expect(backend.requestsTo('/api/v1/rerank/stream')[0].body).toMatchObject({ query: QUERY, topK: 3 });
  expect(host.viewport.getCurrentImageIdIndex()).toBe(55);
});

describe('messages', () => {
  test('backend unreachable: says so, draws nothing, the viewer keeps its image', async () => {
    const { backend, user, host } = mountPanel();
    backend.fail('/api/v1/rerank/stream', { kind: 'network-error' });
    act(() => void host.params.commandsManager.runCommand('jumpToImage', { imageIndex: 9 }));
    await search(user);
    expect((await screen.findByRole('alert')).textContent).toMatch(/backend cannot be reached/);
    expect(host.viewport.getCurrentImageIdIndex()).toBe(9);
    expect(ours(host)).toHaveLength(0);
  });

  test('a proxy answering 502 without our JSON body also reads as unreachable', async () => {
    const { backend, user } = mountPanel();
    backend.fail('/api/v1/rerank/stream', { kind: 'json', status: 502, body: '<html>Bad gateway</html>' });
    await search(user);
    expect((await screen.findByRole('alert')).textContent).toMatch(/backend cannot be reached/);
  });

  test('a series that is not CT, or too short, is refused before calling the backend', async () => {
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

  test('a series the service rejects (422) shows its reason; an error line in the stream is shown like an HTTP error', async () => {
    const { backend, user } = mountPanel();
    backend.fail('/api/v1/rerank/stream', { kind: 'json', status: 422, body: { statusCode: 422, code: 'not_a_stack', message: 'slices are not parallel' } });
    await search(user);
    expect((await screen.findByRole('alert')).textContent).toBe('This series is not supported: slices are not parallel');
    backend.fail('/api/v1/rerank/stream', {
      kind: 'stream',
      lines: [{ type: 'progress', phase: 'fetch' }, { type: 'error', statusCode: 504, code: 'pacs_timeout', message: 'PACS timed out' }],
    });
    await user.click(screen.getByRole('button', { name: 'Find' }));
    await waitFor(() => expect(screen.getByRole('alert').textContent).toMatch(/image archive did not answer/));
  });

  test('a term the model cannot judge is named, and the lesions still come', async () => {
    const { backend, user } = mountPanel();
    const q = parsedQuery('nodule with vacuole sign', [
      { id: 'f0.type', word: 'nodule', kind: 'type', value: 'nodule' },
      { id: 'f0.sign', word: 'vacuole sign', kind: 'sign', value: 'vacuole' },
    ]);
    backend.respondWith(rerankAnswer(q, [[A]], { unsupported: [{ finding: 0, terms: ['f0.sign'], reason: 'not assessed' }] }));
    await search(user, q.text);
    expect((await screen.findByRole('status')).textContent).toBe('The current model cannot judge: vacuole sign. The results ignore these terms.');
    expect(options()).toHaveLength(1);
  });

  test('a description that only denies says so, not that the model cannot judge it', async () => {
    const { backend, user, host } = mountPanel();
    const q = parsedQuery('No nodule in the left lung', [
      { id: 'f0.negation', word: 'No', kind: 'negation', value: 'no' },
      { id: 'f0.type', word: 'nodule', kind: 'type', value: 'nodule', negated: true },
      { id: 'f0.side', word: 'left', kind: 'side', value: 'left', negated: true },
    ]);
    backend.respondWith(rerankAnswer(q, [[]], { unsupported: [{ finding: 0, terms: ['f0.type'], reason: 'the absence of a finding cannot be localised on a slice' }] }));
    await search(user, q.text);
    expect((await screen.findByRole('status')).textContent).toBe(
      '“No nodule in the left lung” only says what is absent, so there is nothing to find on a slice. Describe a finding that is there.',
    );
    expect(screen.queryAllByRole('status')).toHaveLength(1);
    expect(host.commands.filter((c) => c.name === 'jumpToImage')).toHaveLength(0);
  });

  test('text with nothing understood says so, naming it', async () => {
    const { backend, user } = mountPanel();
    const q = parsedQuery('blah foo qux', [], ['blah foo qux']);
    backend.respondWith(rerankAnswer(q, []));
    await search(user, q.text);
    expect((await screen.findByRole('status')).textContent).toBe(
      'Nothing in the description was understood (“blah foo qux”). Describe a finding, e.g. “8 mm nodule, right upper lobe”.',
    );
    expect(screen.queryAllByRole('status')).toHaveLength(1);
  });

  test('an over-long text shows a counter and the limit, not the validator’s message, and is not sent', async () => {
    const { backend, user } = mountPanel();
    const box = await screen.findByLabelText('Describe the finding');
    fireEvent.change(box, { target: { value: 'nodule' } });
    expect(screen.getByTestId('sf-counter').textContent).toBe('6 / 2000 characters');
    fireEvent.change(box, { target: { value: '结'.repeat(MAX_QUERY_CHARS + 5) } });
    expect(screen.getByTestId('sf-counter').textContent).toBe('2005 / 2000 characters');
    expect(screen.getByRole('alert').textContent).toBe('The description has 2005 characters; the limit is 2000. Shorten it to search.');
    expect((screen.getByRole('button', { name: 'Find' }) as HTMLButtonElement).disabled).toBe(true);
    box.focus();
    await user.keyboard('{Enter}');
    expect(backend.requestsTo('/api/v1/rerank/stream')).toHaveLength(0);
    // Astral characters count once, as the service counts them.
    fireEvent.change(box, { target: { value: '𠀀'.repeat(MAX_QUERY_CHARS) } });
    expect(screen.getByTestId('sf-counter').textContent).toBe('2000 / 2000 characters');
    expect(screen.queryByRole('alert')).toBeNull();
  });

  test('the service refusing the length (400) reads the same, without the validator’s words', async () => {
    const { backend, user } = mountPanel();
    backend.fail('/api/v1/rerank/stream', { kind: 'json', status: 400, body: { statusCode: 400, code: 'invalid_request', message: 'body/query must NOT have more than 2000 characters' } });
    await search(user, 'nodule');
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toMatch(/the limit is 2000\. Shorten it to search\./);
    expect(alert.textContent).not.toMatch(/body\/query/);
  });

  test('no lesion at all, and none above a minimum score; an empty query asks for a description', async () => {
    const { backend, user } = mountPanel();
    backend.respondWith(rerankAnswer(PARSED, [[], []]));
    await search(user);
    expect((await screen.findByRole('status')).textContent).toBe('No lesion matched this description.');
    fireEvent.change(screen.getByLabelText('Minimum score'), { target: { value: '0.5' } });
    await user.click(screen.getByRole('button', { name: 'Find' }));
    await waitFor(() => expect(screen.getByRole('status').textContent).toBe('No lesion scored above the minimum score (0.50). Try a lower minimum.'));
    expect(screen.queryByRole('listbox')).toBeNull();
    fireEvent.change(screen.getByLabelText('Describe the finding'), { target: { value: '  ' } });
    await user.click(screen.getByRole('button', { name: 'Find' }));
    expect((await screen.findByRole('alert')).textContent).toBe('Type a description first.');
  });
});

describe('Chinese', () => {
  const ZH = parsedQuery('左肺下叶实性结节。右肺上叶磨玻璃影', [
    [
      { id: 'f0.lobe', word: '左肺下叶', kind: 'lobe', value: 'LLL' },
      { id: 'f0.texture', word: '实性', kind: 'texture', value: 'solid' },
      { id: 'f0.type', word: '结节', kind: 'type', value: 'nodule' },
    ],
    [
      { id: 'f1.lobe', word: '右肺上叶', kind: 'lobe', value: 'RUL' },
      { id: 'f1.texture', word: '磨玻璃影', kind: 'texture', value: 'ground-glass' },
    ],
  ]);

  test('follows the viewer language: sections, rows, the label on the image and the heat segments in Chinese', async () => {
    localStorage.setItem('i18nextLng', 'zh-CN');
    const { backend, user, host } = mountPanel();
    backend.respondWith(rerankAnswer(ZH, [[A], [{ ...C, mismatched: [{ term: 'f1.texture', stated: 'ground-glass', measured: 'solid' }] }]]));
    expect(await screen.findByRole('button', { name: '查找' })).toBeTruthy();
    await search(user, ZH.text, '描述所见');
    const list = await screen.findByRole('listbox', { name: '病灶' });
    expect(within(list).getAllByRole('group').map((g) => g.getAttribute('aria-label'))).toEqual(['所见 1：左肺下叶实性结节', '所见 2：右肺上叶磨玻璃影']);
    const [a, c] = options();
    expect(a.textContent).toContain('结节 27 × 21 mm');
    expect(a.textContent).toContain('第 51–61 层，最佳第 56 层');
    expect(a.textContent).toContain('分数 0.91 · 可信');
    expect(within(c).getByText('密度：描述 磨玻璃影，测得 实性')).toBeTruthy();
    const [outline] = ours(host);
    expect(outline.data.label).toBe('结节 27 × 21 mm，左肺下叶');
    expect(host.textLines(outline.uid)?.[0]).toBe('结节 27 × 21 mm，左肺下叶');
    await user.click(screen.getByLabelText('热力叠加'));
    await waitFor(() => expect(host.segmentations.size).toBe(1));
    expect([...host.segmentations.values()][0].label).toBe('切片定位热力图');
    expect(screen.getByRole('button', { name: '清除标记' })).toBeTruthy();
  });

  test('messages in Chinese: only absences, nothing understood, too long, cancelled, unreachable', async () => {
    localStorage.setItem('i18nextLng', 'zh');
    const { backend, user } = mountPanel();
    const neg = parsedQuery('左肺未见结节', [
      { id: 'f0.side', word: '左肺', kind: 'side', value: 'left', negated: true },
      { id: 'f0.negation', word: '未见', kind: 'negation', value: 'no' },
      { id: 'f0.type', word: '结节', kind: 'type', value: 'nodule', negated: true },
    ]);
    backend.respondWith(rerankAnswer(neg, [[]]));
    await search(user, neg.text, '描述所见');
    expect((await screen.findByRole('status')).textContent).toBe('“左肺未见结节”只描述了不存在的情况，切片上无从查找。请描述存在的所见。');
    const unknown = parsedQuery('啊啊啊', [], ['啊啊啊']);
    backend.respondWith(rerankAnswer(unknown, []));
    await search(user, unknown.text, '描述所见');
    await waitFor(() => expect(screen.getByRole('status').textContent).toBe('未能理解描述中的任何内容（“啊啊啊”）。请描述所见，例如“右肺上叶 8 mm 结节”。'));
    fireEvent.change(screen.getByLabelText('描述所见'), { target: { value: 'x'.repeat(2001) } });
    expect(screen.getByTestId('sf-counter').textContent).toBe('2001 / 2000 字');
    expect(screen.getByRole('alert').textContent).toBe('描述共 2001 字，上限为 2000 字。请缩短后再查找。');
    const gate = deferred();
    backend.respondWith(ANSWER, [{ type: 'progress', phase: 'fetch', done: 1, total: 120 }], { promise: gate.promise, after: 1 });
    await search(user, 'nodule', '描述所见');
    await user.click(await screen.findByRole('button', { name: '取消' }));
    await waitFor(() => expect(screen.getByRole('status').textContent).toBe('已取消搜索。'));
    backend.fail('/api/v1/rerank/stream', { kind: 'network-error' });
    await user.click(screen.getByRole('button', { name: '查找' }));
    expect((await screen.findByRole('alert')).textContent).toBe('无法连接切片定位服务。请确认服务正在运行；阅片器可继续使用。');
  });

  test('a language switched in the viewer is picked up when the panel is used again', async () => {
    const { user } = mountPanel();
    await screen.findByLabelText('Describe the finding');
    localStorage.setItem('i18nextLng', 'zh-CN');
    await user.click(screen.getByRole('combobox'));
    expect(await screen.findByLabelText('描述所见')).toBeTruthy();
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
    expect(backend.requestsTo('/api/v1/series/prepare')[0].body).toMatchObject({ series: { seriesInstanceUID: '1.2.3.4', sopInstanceUIDs: SOPS } });
    const other = reversedSeries(60, '1.2.826.0.1.3680043.8.499');
    act(() => host.showSeries({ seriesInstanceUID: '1.2.3.5', sopInstanceUIDs: other }));
    await waitFor(() => expect(backend.requestsTo('/api/v1/series/prepare')).toHaveLength(2));
    expect(backend.requestsTo('/api/v1/series/prepare')[1].body).toMatchObject({ series: { seriesInstanceUID: '1.2.3.5', sopInstanceUIDs: other } });
  });

  test('the answer of the previous series and its drawings go when the series changes; a search in flight is dropped', async () => {
    const { backend, user, host } = mountPanel();
    backend.respondWith(ANSWER);
    await search(user);
    await screen.findByRole('listbox');
    act(() => host.showSeries({ seriesInstanceUID: '1.2.3.5', sopInstanceUIDs: reversedSeries(50, '1.2.9') }));
    await waitFor(() => expect(screen.queryByRole('listbox')).toBeNull());
    expect(ours(host)).toHaveLength(0);
    const gate = deferred();
    backend.respondWith(ANSWER, [{ type: 'progress', phase: 'fetch', done: 1, total: 50 }], { promise: gate.promise, after: 1 });
    await search(user);
    await screen.findByRole('progressbar');
    const jumps = host.commands.filter((c) => c.name === 'jumpToImage').length;
    act(() => host.showSeries({ seriesInstanceUID: '1.2.3.6', sopInstanceUIDs: reversedSeries(50, '1.2.8') }));
    await waitFor(() => expect(screen.queryByRole('progressbar')).toBeNull());
    await act(async () => gate.resolve());
    expect(screen.queryByRole('listbox')).toBeNull();
    expect(host.commands.filter((c) => c.name === 'jumpToImage')).toHaveLength(jumps);
  });

  test('a backend that is down during warm-up does not disturb the panel', async () => {
    const { backend } = mountPanel();
    backend.fail('/api/v1/series/prepare', { kind: 'network-error' });
    await waitFor(() => expect(backend.requestsTo('/api/v1/series/prepare').length).toBeGreaterThan(0));
    expect(screen.queryByRole('alert')).toBeNull();
  });
});

test('closing and reopening the panel keeps the answer; the island root is unmounted in between', async () => {
  const { backend, user, view, panel } = mountPanel();
  backend.respondWith(ANSWER);
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
  await screen.findByRole('listbox');
  expect(options()).toHaveLength(3);
  expect(options()[0].getAttribute('aria-selected')).toBe('true');
});
