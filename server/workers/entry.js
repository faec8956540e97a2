// Worker-thread entry of the pool. Worker threads load modules on their own, without the parent's
// `tsx` or ts-jest: register tsx here (plain JS, nothing to transpile), then load the TypeScript tasks.
require('tsx/cjs');
module.exports = require('./tasks.ts');
