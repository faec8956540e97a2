/** `npm run -s parse -- "<text>"`: prints the ParsedQuery as JSON; a refused text prints its message and exits 1. */
import { QueryError } from '../server/query/errors';
import { parseQuery } from '../server/query/parse';

const text = process.argv.slice(2).join(' ');
try {
  process.stdout.write(JSON.stringify(parseQuery(text), null, 2) + '\n');
} catch (err) {
  if (!(err instanceof QueryError)) throw err;
  process.stderr.write(`parse: ${err.code}: ${err.message}\n`);
  process.exit(1);
}
