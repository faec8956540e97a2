/** Tasks for the pool's own tests: echo with typed arrays, errors, a spin, a memory hog, a sleep, the thread's priority. */
import { getPriority } from 'node:os';
import { defineTask } from '../../../server/workers/task';

class TypedFailure extends Error {
  readonly httpStatus = 422;
  readonly code = 'NOT_A_STACK';
}

export const echo = defineTask((input: { n: number; data: Float32Array }) => ({
  n: input.n,
  doubled: Float32Array.from(input.data, (x) => x * 2),
  nested: { ids: ['a', 'b'], mask: new Uint8Array([1, 0, 1]) },
}));

export const fail = defineTask((input: { typed: boolean }): never => {
  if (input.typed) throw new TypedFailure('this series is not a stack');
  throw new Error('secret patient detail in an internal message');
});

export const spin = defineTask((): number => {
  let x = 0;
  for (;;) x = (x + 1) % 1024;
  return x;
});

export const hog = defineTask((): number => {
  const keep: number[][] = [];
  for (;;) keep.push(Array.from({ length: 100_000 }, (_, i) => i + 0.5));
});

export const sleep = defineTask((input: { ms: number }): number => {
  const until = Date.now() + input.ms;
  while (Date.now() < until) {
    // busy: a blocked worker, like a long analysis
  }
  return input.ms;
});

/** The scheduling priority (nice) of the worker thread that runs it. */
export const priority = defineTask((): number => getPriority());
