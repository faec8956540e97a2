/**
 * `npm run -s rerank -- --dicom-dir <dir> --query "<text>" [--top-k N] [--min-score S] [--preset P] [--model <id> | --no-model] [--ep <order>] [--json]`
 * Loads a series, analyses it, ranks its slices for the text and prints the RerankResponse
 * (the same shape the HTTP API returns) as JSON, or as a readable table.
 */
import pino from 'pino';
import { parseQuery } from '../server/query/parse';
import { PRESETS, analyseVolume, rerankSlices, type Preset } from '../server/rerank/pipeline';
import type { RerankResponse } from '../server/rerank/response';
import { openScorer } from '../server/runtime/registry';
import { loadSeriesFromDir } from '../server/series/load';
import { exitWithError, numberArg, parseArgs, single, UsageError } from './rerank-cli';

const USAGE = 'usage: npm run -s rerank -- --dicom-dir <dir> --query "<text>" [--top-k N] [--min-score S] [--preset report-match|lesion-search|strict] [--model <id> | --no-model] [--ep cuda,webgpu,cpu] [--json]';

function table(r: RerankResponse): string {
  const lines: string[] = [];
  lines.push(`model ${r.model.id} ${r.model.version} (${r.model.executionProvider})`);
  r.query.findings.forEach((f, i) => {
    const terms = f.terms.map((t) => `${t.negated ? 'no ' : ''}${t.kind}=${t.value}`).join(', ');
    lines.push(`finding ${i}: ${terms || '(nothing recognised)'}`);
  });
  for (const u of r.unsupported) lines.push(`unsupported (finding ${u.finding}: ${u.terms.join(', ')}): ${u.reason}`);
  for (const c of r.caveats ?? []) lines.push(`caveat (finding ${c.finding}, ${c.code}): ${c.reason}`);
  if (r.noConfidentMatch) lines.push('no confident match');
  for (const g of r.findings) {
    lines.push(`finding ${g.finding}: ${g.lesions.length} lesion(s)`);
    for (const l of g.lesions) {
      const miss = l.mismatched.map((m) => `${m.term} ${m.stated}≠${m.measured}`).join('; ');
      lines.push(`  #${l.id}  ${l.score.toFixed(3)}${l.confident ? ' confident' : ''}  ${l.label}  slices ${l.slices.first}-${l.slices.last} best ${l.slices.best}${miss ? `  (${miss})` : ''}`);
    }
  }
  lines.push('rank  index  score  region (x,y,w,h)        label                                matched');
  r.results.forEach((s, k) => {
    const reg = s.regions[0];
    const box = reg ? `${reg.x},${reg.y},${reg.w},${reg.h}` : '-';
    lines.push(
      `${String(k + 1).padStart(4)}  ${String(s.index).padStart(5)}  ${s.score.toFixed(3)}  ${box.padEnd(22)}  ${(reg?.label ?? '').padEnd(35)}  ${s.matched.join(' ')}`,
    );
  });
  lines.push('timings (ms): ' + Object.entries(r.timings).map(([k, v]) => `${k} ${v}`).join(', '));
  return lines.join('\n');
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2), ['dicom-dir', 'query', 'top-k', 'min-score', 'preset', 'model', 'ep'], ['json', 'help', 'no-model']);
  if (args.flags.has('help')) { process.stdout.write(USAGE + '\n'); return; }
  const dir = single(args, 'dicom-dir');
  const text = single(args, 'query');
  if (!dir || text === undefined) throw new UsageError(USAGE);
  const topK = numberArg(args, 'top-k', 1, 10000) ?? 10;
  const minScore = numberArg(args, 'min-score', 0, 1);
  const preset = single(args, 'preset') ?? 'report-match';
  if (!PRESETS.includes(preset as Preset)) throw new UsageError(`--preset must be one of ${PRESETS.join(', ')}`);

  // The learned stage (default model lesion-cnn) unless --no-model; loading it is startup cost (the
  // server does it once), so it is timed apart and not in `total`.
  let t = performance.now();
  const learned = args.flags.has('no-model')
    ? undefined
    : await openScorer({ id: single(args, 'model'), executionProviders: single(args, 'ep'), log: pino({ level: 'warn' }, pino.destination(2)) });
  const modelLoadMs = performance.now() - t;
  const t0 = performance.now();
  t = performance.now();
  const query = parseQuery(text);
  const parseMs = performance.now() - t;
  t = performance.now();
  const { volume } = await loadSeriesFromDir(dir);
  const decodeMs = performance.now() - t;
  const analysis = analyseVolume(volume);
  const response = await rerankSlices(analysis, query, { topK: Math.floor(topK), minScore, preset: preset as Preset, scorer: learned?.scorer });
  const r1 = (x: number): number => Math.round(x * 10) / 10;
  response.timings = {
    ...(learned ? { modelLoad: r1(modelLoadMs) } : {}),
    parse: r1(parseMs),
    decode: r1(decodeMs),
    analysis: analysis.timings.analysis,
    ...response.timings,
    total: r1(performance.now() - t0),
  };
  await learned?.close();
  process.stdout.write((args.flags.has('json') ? JSON.stringify(response, null, 2) : table(response)) + '\n');
}

main().catch((err) => exitWithError('rerank', err));
