/**
 * Naming a node's station (mediastinum.ts stationOf) and weighing it against a stated one (finding-factors.ts):
 * below the arch's lower border a node lateral to the trachea on the left is in the aortopulmonary window (5),
 * even in front of the trachea's centre, and para-aortic (6) only at the arch's level; a node reaching across the
 * line between right and left stations (the trachea's left wall) fits the other side's station, and side, a
 * little less well than its own, and a node that does not reach across fits it no better than before. The line between
 * right and left is the trachea's own left wall down to the carina, not the flared walls of the sections that take in
 * the main bronchi's origins. Below the carina, the subcarinal space lies in front of the oesophagus.
 */
import { parseQuery } from '../../../server/query/parse';
import type { Grid } from '../../../server/rerank/analysis/grid';
import type { LungMasks } from '../../../server/rerank/analysis/lungs';
import { narrowAtBifurcation, stationOf, type MediastinalLandmarks, type TracheaSection } from '../../../server/rerank/analysis/mediastinum';
import type { Candidate } from '../../../server/rerank/analysis/types';
import { kindFactors, reachedSide } from '../../../server/rerank/finding-factors';

// one slice every 5 mm from 60 mm below the carina (z 0) to 100 mm above it; the trachea above the carina
const zs = Array.from({ length: 33 }, (_, k) => -60 + 5 * k);
const trachea: TracheaSection = { x: 0, y: 0, rightX: -10, leftX: 10, frontY: -9, backY: 9 };
const g = { slices: zs.length, origin: zs.map((z) => [0, 0, z]) } as unknown as Grid;
const m = { levels: {}, airway: { hila: { right: [-45, 10, -25], left: [45, 10, -30] } } } as unknown as LungMasks;
const lm: MediastinalLandmarks = {
  trachea: zs.map((z) => (z >= 0 ? trachea : undefined)),
  carina: [0, 0, 0],
  bronchi: [],
  aorta: new Uint8Array(0),
  archTopZ: 45,
  archBottomZ: 20,
  sternalNotchZ: 80,
};

describe('stationOf', () => {
  test('lateral to the trachea on the left below the arch is the AP window, in front of the trachea or not', () => {
    expect(stationOf(lm, m, g, [32, -12, 10])).toBe('5');
    expect(stationOf(lm, m, g, [32, 4, 10])).toBe('5');
  });

  test('lateral and in front at the arch is para-aortic; beside the trachea is lower paratracheal', () => {
    expect(stationOf(lm, m, g, [32, -12, 35])).toBe('6');
    expect(stationOf(lm, m, g, [14, 0, 10])).toBe('4L');
    expect(stationOf(lm, m, g, [-16, 0, 10])).toBe('4R');
  });
});

describe('below the carina, between the main bronchi', () => {
  // the oesophagus 15 mm behind the carina on every slice
  const oesophagus = zs.map((z): [number, number, number] => [0, 15, z]);

  test('in front of the oesophagus is subcarinal (7); beside and behind it paraoesophageal (8)', () => {
    expect(stationOf(lm, m, g, [0, 5, -15], oesophagus)).toBe('7');
    expect(stationOf(lm, m, g, [-6, 22, -15], oesophagus)).toBe('8');
    // the class of failure: without the oesophagus, the azygos vein behind it was a subcarinal node
    expect(stationOf(lm, m, g, [-6, 22, -15])).toBe('7');
    // further down, behind the heart, paraoesophageal whatever its depth
    expect(stationOf(lm, m, g, [0, 5, -50], oesophagus)).toBe('8');
  });
});

describe('a node across the line between right and left stations', () => {
  const finding = parseQuery('enlarged left lower paratracheal lymph node').findings[0];
  const node = (station: string, reached?: string[]): Candidate => ({ kind: 'lymph node', station, ...(reached ? { stationsReached: reached } : {}), side: station.endsWith('L') ? 'left' : 'right', diameterMm: 18, shortAxisMm: 13 }) as unknown as Candidate;
  const stationFit = (c: Candidate): number => kindFactors(finding, c).find((k) => k.term.kind === 'station')!.membership;

  test('fits the other side a little less well than a node of that side', () => {
    const own = stationFit(node('4L'));
    const across = stationFit(node('4R', ['4L']));
    const notAcross = stationFit(node('4R'));
    expect(own).toBe(1);
    expect(across).toBeGreaterThan(0.5);
    expect(across).toBeLessThan(own);
    expect(notAcross).toBeLessThan(0.2);
    expect(reachedSide(node('4R', ['4L']), 'left')).toBeGreaterThan(0.5);
    expect(reachedSide(node('4R'), 'left')).toBe(0);
    expect(reachedSide(node('4R', ['4L']), 'right')).toBe(0);
  });
});

describe('a node of a neighbouring station', () => {
  const finding = parseQuery('subcarinal lymphadenopathy').findings[0];
  const node = (station: string): Candidate => ({ kind: 'lymph node', station, side: station.endsWith('L') ? 'left' : 'right', diameterMm: 20, shortAxisMm: 14 }) as unknown as Candidate;
  // the station term's likelihood ratio, as the fusion applies it
  const ratio = (c: Candidate): number => {
    const k = kindFactors(finding, c).find((x) => x.term.kind === 'station')!;
    return (k.floor + (1 - k.floor) * k.membership) / k.base;
  };

  test('counts a little against the stated station, a far one more; the stated one counts for', () => {
    expect(ratio(node('7'))).toBeGreaterThan(3);
    expect(ratio(node('4L'))).toBeLessThan(0.8);
    expect(ratio(node('1L'))).toBeLessThan(ratio(node('4L')));
  });
});

describe('the line between right and left just above the carina', () => {
  // the lumen flares into both main bronchi over the last 15 mm above the carina: 10 mm wider on each side at the carina (as measured on the development scans)
  const flared = (z: number): TracheaSection => {
    const out = Math.max(0, (15 - z) / 15) * 10;
    return { x: 0, y: 0, rightX: -10 - out, leftX: 10 + out, frontY: -9, backY: 9 };
  };
  const sections = (): Array<TracheaSection | undefined> => zs.map((z) => (z >= 0 ? flared(z) : undefined));
  // a node 4 mm left of the trachea's left wall, 5 mm above the carina
  const node: [number, number, number] = [14, 0, 5];

  test('a node beside the lower trachea on the left is 4L, not 4R', () => {
    const asMeasured = sections();
    // the class of failure: the flared section's left wall lies beyond the node
    expect(stationOf({ ...lm, trachea: asMeasured }, m, g, node)).toBe('4R');
    const narrowed = sections();
    narrowAtBifurcation(g, narrowed, 0);
    expect(stationOf({ ...lm, trachea: narrowed }, m, g, node)).toBe('4L');
    // on the right, likewise; and the sections higher up keep their walls
    expect(stationOf({ ...lm, trachea: narrowed }, m, g, [-14, 0, 5])).toBe('4R');
    expect(narrowed[zs.indexOf(30)]).toEqual(flared(30));
    expect(narrowed[zs.indexOf(5)]!.leftX - narrowed[zs.indexOf(5)]!.rightX).toBeCloseTo(20, 5);
  });
});
