/** Bad input gets a QueryError (HTTP 400) with a code; nothing else is ever thrown. */
import { MAX_QUERY_CHARS, QueryError } from '../../../server/query/errors';
import { parseQuery } from '../../../server/query/parse';
import { checkInvariants } from './support';

function errorOf(text: unknown): QueryError {
  try {
    parseQuery(text as string);
  } catch (err) {
    expect(err).toBeInstanceOf(QueryError);
    return err as QueryError;
  }
  throw new Error('expected a QueryError');
}

describe('parseQuery: refused input', () => {
  it.each([
    ['', 'empty'],
    ['   \n\t  ', 'empty'],
    ['\u3000\u3000', 'empty'],
    ['x'.repeat(MAX_QUERY_CHARS + 1), 'too_long'],
    ['结节'.repeat(MAX_QUERY_CHARS / 2) + '。', 'too_long'],
    ['nodule\u0000', 'control_character'],
    ['8 mm\u0007 nodule', 'control_character'],
    ['结节\u001b[31m', 'control_character'],
    ['nodule \u202e left', 'control_character'],
    ['...', 'only_punctuation'],
    ['，。！？；', 'only_punctuation'],
    ['- * / ( ) ~', 'only_punctuation'],
    ['😀 ✓', 'only_punctuation'],
  ])('%j → %s', (text, code) => {
    const err = errorOf(text);
    expect(err.code).toBe(code);
    expect(err.httpStatus).toBe(400);
    expect(err.name).toBe('QueryError');
    expect(err.message.length).toBeGreaterThan(10);
  });

  it('refuses something that is not a string with a typed error', () => {
    for (const v of [undefined, null, 42, {}, ['nodule']]) expect(errorOf(v).code).toBe('invalid_type');
  });

  it('accepts exactly the maximum length, and counts characters, not UTF-16 units', () => {
    expect(parseQuery('结'.repeat(MAX_QUERY_CHARS)).findings).toEqual([]);
    // 2000 astral characters are 4000 UTF-16 units but still 2000 characters.
    const astral = '𠀀'.repeat(MAX_QUERY_CHARS);
    expect(parseQuery(astral).unknown.length).toBe(1);
  });

  it('accepts tabs, newlines and carriage returns as whitespace', () => {
    const q = parseQuery('RUL nodule\r\n\tno calcification');
    expect(q.findings[0]).toMatchObject({ type: 'nodule', negations: ['calcification'] });
  });
});

describe('parseQuery: never throws anything but QueryError', () => {
  // Deterministic pseudo-random text from pieces that exercise every path of the tokenizer and grouping.
  const PIECES = [
    '结节', '肿块', '右肺上叶', '左', '未见', '伴', '及', '，', '。', '12', '×', '9', 'mm', 'cm', '.', '8-', 'x', ' ', ' ',
    'nodule', 'no', 'with', 'and', 'left', 'lower lobe', 'ground', '-', 'glass', 'non', '毛刺', '钙化', 'RUL', ';', ':',
    '𠀀', '😀', 'é', '\n', '1.2', '约', 'the', 'of', 'by', '3个', 'two', 'calcified', '磨玻璃', '影', '双肺门', '无',
  ];
  let seed = 12345;
  const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);

  it('parses 3000 random mixtures with valid spans or refuses them with QueryError', () => {
    for (let i = 0; i < 3000; i++) {
      const n = 1 + Math.floor(rand() * 14);
      let text = '';
      for (let k = 0; k < n; k++) text += PIECES[Math.floor(rand() * PIECES.length)];
      try {
        checkInvariants(parseQuery(text));
      } catch (err) {
        if (!(err instanceof QueryError)) throw new Error(`${JSON.stringify(text)}: ${String(err)}`);
      }
    }
  });
});
