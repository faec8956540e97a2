// Worker-thread entry of the query worker (see query-tasks.ts): tsx, then its tasks.
require('tsx/cjs');
module.exports = require('./query-tasks.ts');
