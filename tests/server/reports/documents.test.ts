/**
 * The documents and the STOW-RS client on their own: a Chinese query and patient name survive the
 * round trip (UTF-8), the outline is the box in SCOORD pixel coordinates, a multi-frame slice is
 * referenced by its frame, and a PACS that answers 200 but lists the instance as failed (or not at
 * all) is a refusal.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { boxOutline, keyObjectSelection, measurementReport, type DocumentsInput } from '../../../server/reports/documents';
import { readPart10Dataset } from '../../../server/reports/part10';
import { sliceAt } from '../../../server/reports/save';
import { StowError, stowInstances } from '../../../server/reports/stow';
import { keyObjects, measurementGroups } from './support';

const CT = '1.2.840.10008.5.1.4.1.1.2';
const input = (over: Partial<DocumentsInput> = {}): DocumentsInput => ({
  source: { PatientName: [{ Alphabetic: '王^小明' }], PatientID: 'P1', StudyInstanceUID: '1.2.3.4', FrameOfReferenceUID: '1.2.3.9', StudyDate: '20000101' },
  query: '左肺实性结节伴毛刺',
  findings: [
    { lesionId: 3, label: 'Nodule 27 × 24 mm, left lower lobe', kind: 'nodule', side: 'left', longMm: 26.94, shortMm: 23.5, image: { sopClassUID: CT, sopInstanceUID: '1.2.3.4.5.6' }, box: { x: 300, y: 340, w: 60, h: 50 } },
    { lesionId: 8, label: 'Mass', kind: 'mass', side: 'right', longMm: 41, shortMm: 30, image: { sopClassUID: CT, sopInstanceUID: '1.2.3.4.5.7', frame: 12 }, box: { x: 10, y: 20, w: 3, h: 4 } },
  ],
  algorithm: { id: 'lesion-cnn', version: '1.1.0' },
  softwareVersion: '0.1.0',
  now: new Date('2026-12-01T10:20:30Z'),
  ...over,
});

test('the SR holds a TID 1410 group per lesion; the KOS the best slices and the query; Chinese survives', () => {
  const sr = readPart10Dataset(measurementReport(input(), '1.2.3.4.5').bytes);
  expect(sr.SpecificCharacterSet).toBe('ISO_IR 192');
  expect((sr.PatientName as Array<{ Alphabetic: string }>)[0].Alphabetic).toBe('王^小明');
  expect(sr).toMatchObject({ StudyInstanceUID: '1.2.3.4', FrameOfReferenceUID: '1.2.3.9', Modality: 'SR', ContentDate: '20261201', ContentTime: '102030', CompletionFlag: 'COMPLETE' });
  const groups = measurementGroups(sr);
  expect(groups.map((g) => [g.trackingIdentifier, g.finding, g.referencedSop, g.longMm, g.shortMm])).toEqual([
    ['Slice Finder lesion 3', 'Nodule', '1.2.3.4.5.6', 26.9, 23.5],
    ['Slice Finder lesion 8', 'Mass', '1.2.3.4.5.7', 41, 30],
  ]);
  expect(groups[0].points).toEqual([300, 340, 360, 340, 360, 390, 300, 390, 300, 340]);
  expect(groups[0].algorithm).toEqual(['lesion-cnn', '1.1.0']);

  const ko = readPart10Dataset(keyObjectSelection(input(), '1.2.3.4.5').bytes);
  expect(ko).toMatchObject({ Modality: 'KO', SOPClassUID: '1.2.840.10008.5.1.4.1.1.88.59', FrameOfReferenceUID: '1.2.3.9' });
  expect(keyObjects(ko)).toEqual({ description: '左肺实性结节伴毛刺', sops: ['1.2.3.4.5.6', '1.2.3.4.5.7'] });
  // The multi-frame slice is referenced by its frame.
  const frameRef = (ko.ContentSequence as Array<{ ReferencedSOPSequence?: Array<{ ReferencedFrameNumber?: unknown }> }>)[2].ReferencedSOPSequence?.[0];
  expect(Number(frameRef?.ReferencedFrameNumber)).toBe(12);
  // Two documents, two new series, new UIDs each time.
  const again = measurementReport(input(), '1.2.3.4.5');
  expect(again.sopInstanceUID).not.toBe(sr.SOPInstanceUID);
  expect(again.seriesInstanceUID).not.toBe(sr.SeriesInstanceUID);
});

test('a source without a study UID cannot be reported on', () => {
  expect(() => measurementReport(input({ source: { PatientID: 'P1' } }), '1.2.3')).toThrow(/StudyInstanceUID/);
  expect(boxOutline({ x: 0, y: 0, w: 1, h: 1 })).toEqual([0, 0, 1, 0, 1, 1, 0, 1, 0, 0]);
});

test('sliceAt inverts the caller\'s order, frames of a multi-frame instance included', () => {
  const volume = { sopInstanceUIDs: ['a', 'b', 'c'], frames: [1, 1, 1] };
  expect(sliceAt(volume, ['c', 'b', 'a'], 0)).toEqual({ sopInstanceUID: 'c' });
  expect(sliceAt(volume, undefined, 1)).toEqual({ sopInstanceUID: 'b' });
  expect(sliceAt(volume, ['c', 'b', 'a'], 3)).toBeUndefined();
  const multi = { sopInstanceUIDs: ['m', 'm', 'm'], frames: [1, 2, 3] };
  expect(sliceAt(multi, ['m'], 2)).toEqual({ sopInstanceUID: 'm', frame: 3 });
});

describe('STOW-RS answers', () => {
  let server: Server;
  let root = '';
  let answer: { status: number; body: string } = { status: 200, body: '' };
  beforeAll(async () => {
    server = createServer((req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(answer.status, { 'content-type': 'application/dicom+json' }).end(answer.body));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    root = `http://127.0.0.1:${(server.address() as AddressInfo).port}/dicom-web`;
  });
  afterAll(() => new Promise((r) => server.close(r)));

  const send = () => stowInstances({ root, studyInstanceUID: '1.2.3', files: [{ sopInstanceUID: '9.8.7', bytes: new Uint8Array(10) }], timeoutMs: 5000 });
  const ref = (sop: string) => ({ '00081155': { vr: 'UI', Value: [sop] } });

  test('stored: 200 listing the instance', async () => {
    answer = { status: 200, body: JSON.stringify({ '00081199': { vr: 'SQ', Value: [ref('9.8.7')] } }) };
    await expect(send()).resolves.toBeUndefined();
  });
  test('refused: 200 with a failed-SOP list, 200 without the instance, 202, 409; and no PACS at all', async () => {
    for (const [status, body] of [
      [200, JSON.stringify({ '00081198': { vr: 'SQ', Value: [ref('9.8.7')] } })],
      [200, JSON.stringify({ '00081199': { vr: 'SQ', Value: [ref('1.1.1')] } })],
      [202, '{}'],
      [409, '{}'],
    ] as const) {
      answer = { status, body };
      const err = await send().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StowError);
      expect(err).toMatchObject({ httpStatus: 502, code: 'pacs_refused', pacsStatus: status });
    }
    const unreachable = await stowInstances({ root: 'http://127.0.0.1:1/dicom-web', studyInstanceUID: '1.2.3', files: [], timeoutMs: 2000 }).catch((e: unknown) => e);
    expect(unreachable).toMatchObject({ httpStatus: 502, code: 'pacs_unreachable', pacsStatus: 0 });
  });
});
