/**
 * Collections a worker schedules after its task (worker threads only: never on the event loop).
 * Volumes are shared memory: their pages go back to the allocator (and are reused by the next series,
 * see malloc.ts) only once every thread has collected its views of them, and until then a new series
 * faults in fresh pages. A decoding task leaves little garbage, so this thread might not collect for a
 * long while: a minor GC (about a millisecond) after each batch lets go of its views of the staging
 * buffer. After an analysis (seconds, whose views have been promoted) a full collection of this
 * worker's heap does the same; neither touches the event loop.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

setFlagsFromString('--expose-gc');
const collect = runInNewContext('gc') as (o?: { type: 'minor' | 'major'; execution?: 'sync' | 'async' }) => void;
/** Collects this thread's garbage of `type` soon after the current task. */
export const afterTask = (type: 'minor' | 'major'): void => {
  setImmediate(() => collect({ type, execution: 'async' }));
};
