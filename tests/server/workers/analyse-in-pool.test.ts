/**
 * The analysis spread over the pool (analyse-in-pool.ts: the lesion and chest-finding searches on two
 * threads, then their join) is the analysis analyseVolume makes on one thread: the same candidates, ids,
 * measures and findings, on a synthetic chest with lesions, a cavity, an effusion and a consolidation
 * (so that the join's renumbering, the cavities and the round lesions' share of a consolidation all
 * matter). A pool of one thread runs the tasks in turn, several series at once included. The caller is
 * told of the lesions before the join (for early scoring); what that hook throws does not fail the analysis.
 */
import { insertCavity, insertConsolidation, insertEffusion, sceneOf } from '../../../models/synthetic/findings';
import { rng } from '../../../models/synthetic/lesion';
import { findSites } from '../../../models/synthetic/sites';
import { analyseLungs, analyseVolume, searchFindings, searchLesions } from '../../../server/rerank/pipeline';
import type { Volume } from '../../../server/series/volume';
import { analyseInPool } from '../../../server/workers/analyse-in-pool';
import { WorkerPool } from '../../../server/workers/pool';
import { inSharedMemory } from '../../../server/workers/transfer';
import { anonymousForm, fromWire, scorerInputsOf, type AnalysisWire, type PackedScorerInputs } from '../../../server/workers/wire';
import { chestVolume, LUNG_X } from '../rerank/synthetic';

jest.setTimeout(180_000);

/** A small chest, muscle-dense (as in the findings tests), with two nodules and the findings drawn in. */
function chest(): Volume {
  const v = chestVolume({
    trachea: true,
    spheres: [
      { centre: [LUNG_X, 10, 70], diameter: 9, hu: 30 },
      { centre: [-LUNG_X, -15, 45], diameter: 7, hu: -500, rimHu: -700 },
    ],
  });
  for (let i = 0; i < v.hu.length; i++) if (v.hu[i] > -60 && v.hu[i] < 60) v.hu[i] += 50;
  const base = analyseVolume(v);
  const scene = sceneOf(base, findSites(base.anatomy.grid, base.anatomy.lungs));
  const hu = v.hu.slice();
  expect(insertEffusion(scene, hu, 'left', 25, rng(1))).not.toBeNull();
  expect(insertConsolidation(scene, hu, 'right', rng(3))).not.toBeNull();
  expect(insertCavity(scene, hu, 'left', false, rng(5))).not.toBeNull();
  return inSharedMemory({ ...v, hu });
}

/** What the two paths are compared on: everything but the timings. */
const comparable = (a: Parameters<typeof anonymousForm>[0]) => {
  const { timings: _t, ...rest } = anonymousForm(a);
  return structuredClone(rest);
};
const restored = (wire: AnalysisWire, v: Volume) => comparable(fromWire(wire.bytes, v));

describe('the analysis across the pool', () => {
  let v: Volume;
  let expected: ReturnType<typeof comparable>;
  beforeAll(() => {
    v = chest();
    expected = comparable(analyseVolume(v));
  });

  it('has what the join must get right: findings after the lesions, a cavity, a consolidation weighed against round lesions', () => {
    const kinds = new Set(expected.candidates.map((c) => c.kind));
    expect([...kinds]).toEqual(expect.arrayContaining(['lesion', 'pleural effusion', 'consolidation']));
    expect(expected.candidates.some((c) => c.kind === 'lesion' && (c.measures?.cavityMm ?? 0) >= 4)).toBe(true);
    // the round lesions' share lowers some consolidation's or atelectasis' likelihood here (else the test would not see it go wrong)
    const lungs = analyseLungs(v);
    const lesions = searchLesions(v, lungs).candidates;
    const { dense } = searchFindings(v, lungs).findings;
    expect(dense?.awaiting.length).toBeGreaterThan(0);
    const base = Math.max(...lesions.map((c) => c.id)) + 1;
    const lowered = dense!.awaiting.filter((a) => {
      const joined = expected.candidates.find((c) => c.id === a.candidate.id + base);
      expect(joined?.kind).toBe(a.candidate.kind);
      return joined!.lesionLikelihood < Math.min(1, a.likelihood) - 1e-9;
    });
    expect(lowered.length).toBeGreaterThan(0);
  });

  it('on two threads is the analysis analyseVolume makes on one', async () => {
    const pool = new WorkerPool({ threads: 2 });
    try {
      const told: PackedScorerInputs[] = [];
      const wire = await analyseInPool(pool, v, { onLesions: (l) => told.push(l) });
      expect(restored(wire, v)).toEqual(expected);
      // told once, before the join, what the learned model reads of every lesion: as the joined analysis has it
      const lesions = expected.candidates.filter((c) => c.kind === 'lesion').map((c) => c.id);
      expect(told).toHaveLength(1);
      expect(Array.from(told[0].ids)).toEqual(lesions);
      expect(scorerInputsOf(told[0], lesions)).toEqual(scorerInputsOf(wire.scorerInputs, lesions));
      expect(wire.candidates).toBe(expected.candidates.length);
      expect(Object.keys(wire.timings)).toEqual(expect.arrayContaining(['grid', 'lungs', 'candidates', 'findings', 'join', 'analysis']));
    } finally {
      await pool.close();
    }
  });

  it('on a pool of one thread runs its tasks in turn, for several series at once, to the same analysis', async () => {
    const pool = new WorkerPool({ threads: 1 });
    try {
      const other = inSharedMemory(chestVolume({ slices: 30, spheres: [{ centre: [LUNG_X, 0, 40], diameter: 10, hu: 20 }] }));
      const fails = (): void => {
        throw new Error('not the analysis\' concern');
      };
      const [a, b] = await Promise.all([analyseInPool(pool, v), analyseInPool(pool, other, { onLesions: fails })]);
      expect(restored(a, v)).toEqual(expected);
      expect(restored(b, other)).toEqual(comparable(analyseVolume(other)));
    } finally {
      await pool.close();
    }
  });

  it('fails as the sequential analysis does for what is not a CT stack', async () => {
    const pool = new WorkerPool({ threads: 1 });
    try {
      await expect(analyseInPool(pool, { ...v, modality: 'MR' })).rejects.toMatchObject({ httpStatus: 422 });
    } finally {
      await pool.close();
    }
  });
});
