// Worker entry for the pool tests (as server/workers/entry.js, with the test tasks).
require('tsx/cjs');
module.exports = require('./fixture-tasks.ts');
