/**
 * `npm run -s eval -- [--cases <dir>...] [--looks noise,sharp,soft,thick,thin,prone,narrow,coarse,lowdose,noapex,nobase,rolled,whiteout,effusion,emphysema,dependent,wires,feetfirst] [--preset P] [--model <id> | --no-model] [--ep <order>] [--explain] [--json]`: the quality evaluation.
 * With the default model (lesion-cnn) as the learned stage unless --no-model (classical stages only).
 * Default cases: every folder with a ground-truth.json under the sample data folder (../shared/data).
 * Prints per query top-1 / top-3 / region hits (positives) or top score and flag (negatives) and the
 * latency of the query on the already analysed series, then the totals; each case's one nodule or one mass is also
 * asked for in a word ("mass", "结节"), tallied apart (`short` in the JSON). `--looks` scores each case again
 * as other scanners (or the patient lying prone or rolled, a narrower field of view, larger pixels, a low-dose scan, a scan not covering the whole chest, an opaque hemithorax, effusions at both bases, emphysematous lungs, dependent density, sternotomy wires, the patient entering feet first) would show it (scripts/eval-looks.ts), with totals per look. `--explain` follows each
 * miss (and each negative not flagged, and each right answer not confident) with what the pipeline made of it (scripts/explain.ts).
 */
import pino from 'pino';
import { parseQuery } from '../server/query/parse';
import { PRESETS, analyseVolume, rerankSlices, type Preset } from '../server/rerank/pipeline';
import { openScorer } from '../server/runtime/registry';
import { loadSeriesFromDir } from '../server/series/load';
import { SAMPLE_DATA_DIR } from '../server/series/sample';
import { calibrationLine, discoverCases, judge, readCase, SHORT_WORDS, totalsOf, type CaseQuery, type EvalCase, type QueryOutcome } from './eval-cases';
import { caseLook, LOOKS, type Look } from './eval-looks';
import { boxesByIndex, explainMiss } from './explain';
import { exitWithError, parseArgs, single, UsageError } from './rerank-cli';

/**
 * The word-or-two queries of a case (SHORT_WORDS), tallied apart from its own descriptions (their totals are the
 * acceptance numbers): for each kind it has exactly one lesion of (else the answer is not one lesion).
 */
function shortQueries(c: EvalCase): CaseQuery[] {
  const lesions = [...c.lesions.values()];
  return Object.entries(SHORT_WORDS).flatMap(([kind, words]) => {
    const of = lesions.filter((l) => l.kind === kind);
    return of.length === 1 ? words.map((text, k) => ({ id: `short-${kind}-${k + 1}`, lesion: of[0].id, text })) : [];
  });
}

/** The case as it was scanned, before any `--looks`. */
const AS_IS = 'as is';
const mark = (b: boolean | null): string => (b === null ? '-' : b ? 'hit' : 'MISS');

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2), ['cases', 'looks', 'preset', 'model', 'ep'], ['json', 'no-model', 'explain']);
  const preset = single(args, 'preset') ?? 'report-match';
  if (!PRESETS.includes(preset as Preset)) throw new UsageError(`--preset must be one of ${PRESETS.join(', ')}`);
  const dirs = args.values.get('cases') ?? (await discoverCases(SAMPLE_DATA_DIR));
  if (!dirs.length) throw new UsageError('no cases: pass --cases <dir>... (folders with ground-truth.json and queries.json)');
  const looks = (single(args, 'looks')?.split(',') ?? []).filter((l) => l !== '');
  for (const l of looks) if (!LOOKS.includes(l as Look)) throw new UsageError(`--looks takes ${LOOKS.join(', ')}`);
  const json = args.flags.has('json');
  const outcomes: QueryOutcome[] = [];
  const short: QueryOutcome[] = [];
  const lookOf = new Map<QueryOutcome, string>();
  const log = (s: string): void => { if (!json) process.stdout.write(s + '\n'); };
  const learned = args.flags.has('no-model')
    ? undefined
    : await openScorer({ id: single(args, 'model'), executionProviders: single(args, 'ep'), log: pino({ level: 'warn' }, pino.destination(2)) });
  const model = learned?.scorer.info;
  log(`model: ${model ? `${model.id} ${model.version} (${model.executionProvider})` : 'none (classical stages only)'}`);
  for (const dir of dirs) {
    const read = await readCase(dir);
    const t = performance.now();
    const loaded = (await loadSeriesFromDir(read.seriesDir)).volume;
    const decodeMs = performance.now() - t;
    const shown = [{ look: AS_IS, case: read, volume: loaded }, ...looks.map((l) => ({ look: l, ...caseLook(read, loaded, l as Look) }))];
    for (const { look, case: c, volume } of shown) {
      const analysis = analyseVolume(volume);
      log(`case ${c.name}: ${volume.slices} slices, decode ${Math.round(decodeMs)} ms, analysis ${Math.round(analysis.timings.analysis)} ms, ${analysis.candidates.length} candidates`);
      const asked = look === AS_IS ? shortQueries(c) : [];
      for (const q of [...c.queries, ...asked]) {
        const t0 = performance.now();
        const parsed = parseQuery(q.text);
        const response = await rerankSlices(analysis, parsed, { topK: 10, preset: preset as Preset, scorer: learned?.scorer });
        const o = judge(c, q, response, performance.now() - t0);
        if (asked.includes(q)) short.push(o);
        else outcomes.push(o);
        lookOf.set(o, look);
        if (q.lesion === null) {
          log(`  ${q.id.padEnd(8)} negative  top score ${o.topScore.toFixed(3)}  flagged ${o.flagged ? 'yes' : 'NO'}  ${o.latencyMs} ms`);
        } else {
          log(`  ${q.id.padEnd(8)} top-1 ${mark(o.top1).padEnd(4)}  top-3 ${mark(o.top3).padEnd(4)}  region ${mark(o.region).padEnd(4)}  top score ${o.topScore.toFixed(3)}${o.confident ? '' : ' (not confident)'}  ${o.latencyMs} ms`);
        }
        if (args.flags.has('explain') && (o.top1 === false || o.region === false || (o.top1 && !o.confident) || (q.lesion === null && !o.flagged))) {
          const truth = q.lesion === null ? null : boxesByIndex(analysis, c.lesions.get(q.lesion)!);
          for (const l of await explainMiss(analysis, parsed, truth, { scorer: learned?.scorer, preset: preset as Preset })) log(l);
        }
      }
    }
  }
  await learned?.close();
  const totals = totalsOf(outcomes);
  if (json) {
    process.stdout.write(JSON.stringify({ totals, queries: outcomes, short: { totals: totalsOf(short), queries: short }, model: model ?? null }, null, 2) + '\n');
    return;
  }
  for (const [kind, t] of Object.entries(totals.byKind)) {
    log(`${kind.padEnd(11)} top-1 ${t.top1Hits}/${t.positives}, top-3 ${t.top3Hits}/${t.positives}, region ${t.regionHits}/${t.positives}, confident top-1 ${t.confidentTop1}/${t.positives}`);
  }
  log(
    `total: top-1 ${totals.top1Hits}/${totals.positives}, top-3 ${totals.top3Hits}/${totals.positives}, region ${totals.regionHits}/${totals.positives}, ` +
      `confident top-1 ${totals.confidentTop1}/${totals.positives}, negatives flagged ${totals.negativesFlagged}/${totals.negatives}`,
  );
  log(`calibration: ${calibrationLine(totals.calibration)}`);
  const said = totalsOf(short);
  log(`in a word (${[...new Set(short.map((o) => o.id.split('-')[1]))].join(', ')}): top-1 ${said.top1Hits}/${said.positives}, region ${said.regionHits}/${said.positives}, confident top-1 ${said.confidentTop1}/${said.positives}`);
  const cautioned = outcomes.filter((o) => o.caveats.length > 0);
  log(`caveats: on ${cautioned.filter((o) => o.top1).length} right top-1 answers, ${cautioned.filter((o) => o.top1 === false).length} wrong ones, ${cautioned.filter((o) => o.top1 === null).length} negatives`);
  for (const look of looks.length ? [AS_IS, ...looks] : []) {
    const t = totalsOf(outcomes.filter((o) => lookOf.get(o) === look));
    log(`  ${look.padEnd(6)} top-1 ${t.top1Hits}/${t.positives}, region ${t.regionHits}/${t.positives}, confident top-1 ${t.confidentTop1}/${t.positives}, negatives flagged ${t.negativesFlagged}/${t.negatives}`);
  }
}

main().catch((err) => exitWithError('eval', err));
