/**
 * `npm run -s parse -- [--lexicon extra.json] "<text>"`: prints the ParsedQuery as JSON. `--lexicon` adds a
 * hospital's own rows (see server/query/lexicon/extension.ts). A refused text or lexicon: message on stderr, exit 1.
 */
import { LexiconError, QueryError } from '../server/query/errors';
import { loadLexiconFile } from '../server/query/lexicon/extension';
import { createQueryParser } from '../server/query/parse';

const args = process.argv.slice(2);
const at = args.indexOf('--lexicon');
const lexiconPath = at >= 0 ? args[at + 1] : undefined;
if (at >= 0) args.splice(at, 2);

try {
  if (at >= 0 && !lexiconPath) throw new LexiconError('--lexicon needs a file');
  const parse = createQueryParser(lexiconPath ? loadLexiconFile(lexiconPath) : []);
  process.stdout.write(JSON.stringify(parse(args.join(' ')), null, 2) + '\n');
} catch (err) {
  if (!(err instanceof QueryError) && !(err instanceof LexiconError)) throw err;
  process.stderr.write(`parse: ${err.code}: ${err.message}\n`);
  process.exit(1);
}
