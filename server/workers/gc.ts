/**
 * The collections the project asks for itself. Volumes are shared memory: their pages go back to the
 * allocator (and are reused by the next series, see malloc.ts) only once every thread has collected its
 * views of them, and until then a new series faults in fresh pages. V8 does not count that memory against
 * a thread's heap, so a thread's own collections, paced by what it allocates, may leave a volume's few
 * hundred bytes of views (and with them the whole volume) alive for a long while.
 *
 * - A worker, after its task (never on the event loop): a decoding task leaves little garbage, so a
 *   minor GC (about a millisecond) after each batch lets go of its views of the staging buffer; after an
 *   analysis (seconds, whose views have been promoted) a full collection of the worker's heap does the same.
 * - The event loop, after the series cache has let volumes go (http/released-memory.ts says when): their
 *   views there are old (a cached series is held for minutes), and only a full collection reaches them.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

setFlagsFromString('--expose-gc');
const collect = runInNewContext('gc') as (o?: { type: 'minor' | 'major'; execution?: 'sync' | 'async' }) => void;

/** Collects this worker's garbage of `type` soon after the current task. */
export const afterTask = (type: 'minor' | 'major'): void => {
  setImmediate(() => collect({ type, execution: 'async' }));
};

let releasePending = false;

/**
 * A full collection of this thread, once the current turn is over (calls in one turn collect once); for
 * when it is idle. Synchronous and whole: an incremental one (`execution: 'async'`) leaves its last pause
 * to whenever the thread next allocates, which is when work has come back; and in Node 20's V8 a
 * synchronous `{ type: 'major' }` leaves old views uncollected (tests/server/workers/gc.test.ts).
 */
export function afterRelease(): void {
  if (releasePending) return;
  releasePending = true;
  setImmediate(() => {
    releasePending = false;
    collect();
  });
}
