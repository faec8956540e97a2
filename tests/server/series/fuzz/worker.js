// Worker-thread entry for the fuzz test. ts-jest does not reach worker threads, so register tsx
// here (plain JS, nothing to transpile) and then run the TypeScript worker.
require('tsx/cjs');
require('./worker-main.ts');
