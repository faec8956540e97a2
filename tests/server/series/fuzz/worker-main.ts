/** Fuzz worker: loads each request's buffers and reports the volume's sizes or the error, nothing else. */
import { parentPort } from 'node:worker_threads';
import { SeriesError } from '../../../../server/series/errors';
import { loadSeriesFromBuffers } from '../../../../server/series/load';
import type { FuzzReply, FuzzRequest } from './protocol';

const port = parentPort;
if (!port) throw new Error('fuzz worker must run in a worker thread');

port.on('message', (req: FuzzRequest) => {
  let reply: FuzzReply;
  try {
    const { volume: v, skipped } = loadSeriesFromBuffers(req.files.map((f) => ({ name: f.name, data: new Uint8Array(f.data) })));
    let allFinite = true;
    for (let i = 0; i < v.hu.length; i++) {
      if (!Number.isFinite(v.hu[i])) {
        allFinite = false;
        break;
      }
    }
    reply = {
      id: req.id,
      kind: 'volume',
      slices: v.slices,
      rows: v.rows,
      columns: v.columns,
      huLength: v.hu.length,
      positions: v.positions.length,
      sopInstanceUIDs: v.sopInstanceUIDs.length,
      frames: v.frames.length,
      allFinite: allFinite && v.positions.every((p) => p.every(Number.isFinite)),
      sliceSpacing: v.sliceSpacing,
      skipped,
    };
  } catch (err) {
    reply =
      err instanceof SeriesError
        ? { id: req.id, kind: 'error', code: err.code, httpStatus: err.httpStatus, name: err.name, message: err.message }
        : { id: req.id, kind: 'escaped', name: String((err as Error | undefined)?.name), message: String((err as Error | undefined)?.message ?? err) };
  }
  port.postMessage(reply);
});
