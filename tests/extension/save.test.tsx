/**
 * "Save to PACS" in the panel and its command, against the fake host and backend: the confident
 * lesions come ticked, the request names the series, query, preset and lesions of the answer shown
 * (with the user's Authorization), the result or the PACS's refusal is shown, and nothing is sent
 * when no lesion is ticked.
 */
import { act, fireEvent, screen, waitFor } from '@testing-library/react';
import { reversedSeries } from './support/fakeHost';
import { mountPanel, unmountAll } from './support/mountPanel';
import { lesion, parsedQuery, rerankAnswer } from './support/responses';

const SOPS = reversedSeries(120);
const QUERY = 'spiculated nodule, left lower lobe';
const PARSED = parsedQuery(QUERY, [[{ id: 'f0.type', word: 'nodule', kind: 'type', value: 'nodule' }]]);
const A = lesion(4, 50, 60, { score: 0.91, matched: ['f0.type'] });
const B = lesion(7, 10, 14, { score: 0.2, confident: false, matched: ['f0.type'] });
const ANSWER = rerankAnswer(PARSED, [[A, B]]);
const SAVED = { studyInstanceUID: '1.2.3', seriesInstanceUIDs: ['2.25.1', '2.25.2'], sopInstanceUIDs: ['2.25.3', '2.25.4'] };

afterEach(unmountAll);

async function answered() {
  const mounted = mountPanel({ defaultPreset: 'lesion-search' });
  mounted.host.setAuthorization('Bearer abc.def');
  mounted.backend.respondWith(ANSWER);
  const box = await screen.findByLabelText('Describe the finding');
  fireEvent.change(box, { target: { value: QUERY } });
  await mounted.user.click(screen.getByRole('button', { name: 'Find' }));
  await screen.findByRole('listbox', { name: 'Lesions' });
  return mounted;
}

const box = (id: number) => document.querySelector(`input[data-save-lesion="${id}"]`) as HTMLInputElement;

test('the ticked lesions are saved with the answer’s series, query and preset, and the result is shown', async () => {
  const { backend, user } = await answered();
  backend.fail('/api/v1/reports', { kind: 'json', status: 201, body: SAVED });
  // Confident lesions come ticked; the doubtful one is the user's choice.
  expect(box(4).checked).toBe(true);
  expect(box(7).checked).toBe(false);
  await user.click(box(7));
  await user.click(screen.getByRole('button', { name: 'Save to PACS (2)' }));
  const done = await screen.findByText(/Saved to the PACS: a report and key images of 2 lesion/);
  expect(done.getAttribute('data-sop-instance-uids')).toBe('2.25.3 2.25.4');
  const [req] = backend.requestsTo('/api/v1/reports');
  expect(req.method).toBe('POST');
  expect(req.headers.authorization).toBe('Bearer abc.def');
  expect(req.body).toEqual({
    series: { source: 'dicomweb', wadoRoot: 'https://pacs.example/dicom-web', studyInstanceUID: '1.2.3', seriesInstanceUID: '1.2.3.4', sopInstanceUIDs: SOPS },
    query: QUERY,
    lesions: [4, 7],
    preset: 'lesion-search',
  });
});

test('a PACS refusal is shown in the service’s words (its status included)', async () => {
  const { backend, user } = await answered();
  backend.fail('/api/v1/reports', { kind: 'json', status: 502, body: { statusCode: 502, code: 'pacs_refused', message: 'the PACS refused to store the report (HTTP 403)' } });
  await user.click(screen.getByRole('button', { name: 'Save to PACS (1)' }));
  const alert = await screen.findByText('Not saved: the PACS refused to store the report (HTTP 403)');
  expect(alert.getAttribute('role')).toBe('alert');
  expect(alert.getAttribute('data-problem')).toBe('pacs');
});

test('nothing ticked: the button is off and nothing is sent; the command saves the lesions it names', async () => {
  const { backend, user, run } = await answered();
  backend.fail('/api/v1/reports', { kind: 'json', status: 201, body: SAVED });
  await user.click(box(4));
  expect((screen.getByRole('button', { name: 'Save to PACS (0)' }) as HTMLButtonElement).disabled).toBe(true);
  expect(screen.getByText('Tick at least one lesion to save.')).toBeTruthy();
  expect(backend.requestsTo('/api/v1/reports')).toHaveLength(0);
  // Lesion ids the answer does not hold are dropped; none left sends nothing.
  await act(async () => {
    await run('sliceFinder.saveReport', { lesions: [99] });
  });
  expect(backend.requestsTo('/api/v1/reports')).toHaveLength(0);
  await act(async () => {
    await run('sliceFinder.saveReport', { lesions: [7, 99] });
  });
  await waitFor(() => expect(backend.requestsTo('/api/v1/reports')).toHaveLength(1));
  expect((backend.requestsTo('/api/v1/reports')[0].body as { lesions: number[] }).lesions).toEqual([7]);
  await screen.findByText(/Saved to the PACS: a report and key images of 1 lesion/);
});
