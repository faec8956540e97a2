/**
 * The audit trail: one JSON line per answered rerank, on its own stream (a file, or stderr), with
 * who asked, hashed study/series UIDs and query, slice count, top and average score, model, latency;
 * one per upload (who, hashed UIDs, slices, files skipped, bytes, latency), and one per saved report
 * (who, hashed UIDs, lesions, images and instances written, where; never the UIDs it made or the query).
 */
import { createWriteStream } from 'node:fs';
import type { Writable } from 'node:stream';
import fp from 'fastify-plugin';
import type { AuditLog } from '../context';

export interface AuditOptions {
  /** Where lines go; opened from config.auditFile (append) or stderr when absent. */
  stream?: Writable;
  file?: string;
}

export const auditPlugin = fp<AuditOptions>(
  async (app, opts) => {
    const hash = app.sliceFinder.hash;
    const owned = !opts.stream && opts.file ? createWriteStream(opts.file, { flags: 'a', mode: 0o600 }) : undefined;
    const out: Writable = opts.stream ?? owned ?? process.stderr;
    /** One line: what every entry has (who, hashed UIDs, slices, latency) around what its type adds. */
    const write = (
      type: 'rerank' | 'upload' | 'report',
      e: { user: string; studyInstanceUID: string; seriesInstanceUID: string; slices: number; latencyMs: number },
      fields: Record<string, unknown>,
    ): void => {
      const line = {
        type,
        time: new Date().toISOString(),
        user: e.user,
        study: hash(e.studyInstanceUID),
        series: hash(e.seriesInstanceUID),
        slices: e.slices,
        ...fields,
        latencyMs: Math.round(e.latencyMs),
      };
      out.write(`${JSON.stringify(line)}\n`);
    };
    const audit: AuditLog = {
      record(e) {
        const top = e.scores.length > 0 ? Math.max(...e.scores) : null;
        const avg = e.scores.length > 0 ? e.scores.reduce((a, b) => a + b, 0) / e.scores.length : null;
        write('rerank', e, {
          queryHash: hash(e.query),
          topScore: top === null ? null : round(top),
          averageScore: avg === null ? null : round(avg),
          results: e.scores.length,
          model: e.model,
        });
      },
      upload: (e) => write('upload', e, { skipped: e.skipped, bytes: e.bytes }),
      report: (e) => write('report', e, { lesions: e.lesions, images: e.images, instances: e.instances, destination: e.destination }),
    };
    app.decorate('audit', audit);
    if (owned) app.addHook('onClose', async () => new Promise<void>((resolve) => owned.end(resolve)));
  },
  { name: 'slice-finder-audit', fastify: '5.x' },
);

function round(x: number): number {
  return Math.round(x * 10_000) / 10_000;
}
