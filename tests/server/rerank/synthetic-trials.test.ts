import type { VolumeAnalysis } from '../../../server/rerank/pipeline';
import type { Site } from '../../../models/synthetic/sites';
import { clearOfKnown, knownExtents } from '../../../models/synthetic/trials';

// a 1 mm grid at full resolution: grid voxels are volume voxels
const analysis = {
  anatomy: { grid: { fx: 1, fy: 1, fz: 1 } },
  volume: { sliceSpacing: 2, pixelSpacing: [1, 1] },
} as unknown as VolumeAnalysis;
const lungSite = (slice: number, row: number, column: number): Site => ({ siteClass: 'lung', grid: [slice, row, column], normal: [0, 0, 0], side: 'left', depthMm: 40, zoneFraction: 0.5 });

describe('synthetic trials keep clear of annotated lesions', () => {
  const uids = ['a', 'b', 'c', 'd', 'e'];
  const known = knownExtents({ sopInstanceUIDs: uids }, [
    { boxes: { b: [100, 200, 110, 210], c: [98, 198, 114, 214], zz: [0, 0, 1, 1] } },
    { boxes: {} },
  ]);

  it('unites a lesion’s boxes over its slices and skips UIDs not in the series and lesions without boxes', () => {
    expect(known).toEqual([{ slices: [1, 2], rows: [198, 214], columns: [98, 114] }]);
  });

  it('refuses a site whose lesion would come within 10 mm (plus its own reach) of one, and takes one beyond', () => {
    // a 10 mm lesion (radius 5) needs 1.3 * 5 + 10 = 16.5 mm of clearance from the box
    expect(clearOfKnown(analysis, lungSite(2, 206, 130), 5, known)).toBe(false); // 16 mm to the right of the box
    expect(clearOfKnown(analysis, lungSite(2, 206, 131), 5, known)).toBe(true); // 17 mm
    expect(clearOfKnown(analysis, lungSite(12, 206, 106), 5, known)).toBe(true); // 10 slices of 2 mm above: 20 mm
    expect(clearOfKnown(analysis, lungSite(2, 206, 106), 5, [])).toBe(true);
  });
});
