// Worker-thread entry of the model worker (server/runtime/model-worker.ts): tsx, then the model tasks.
require('tsx/cjs');
module.exports = require('./model-tasks.ts');
