/** Sizes in every written form come back in mm: the largest in `mm`, all dimensions in order in `dims`. */
import { parseQuery } from '../../../server/query/parse';
import { readSize } from '../../../server/query/size';

describe('size reading', () => {
  it.each([
    ['8mm', [8]],
    ['8 mm', [8]],
    ['1.2 cm', [12]],
    ['1.2cm', [12]],
    ['12×9mm', [12, 9]],
    ['12x9 mm', [12, 9]],
    ['12 X 9 mm', [12, 9]],
    ['12 * 9 * 7mm', [12, 9, 7]],
    ['12 mm x 9 mm', [12, 9]],
    ['4.5cm×3.2cm', [45, 32]],
    ['1.2 x 0.9 cm', [12, 9]],
    ['8-mm', [8]],
    ['3 厘米', [30]],
    ['5毫米', [5]],
    ['2公分', [20]],
    ['12 millimeters', [12]],
    ['1.5 centimetres', [15]],
    ['8-10 mm', [10]],
    ['12×9', [12, 9]],
    ['１２ｍｍ', [12]],
    ['1,2 cm', [12]],
    ['8,5mm', [8.5]],
    ['3,2×2,8 cm', [32, 28]],
  ])('%s → %j mm', (text, dims) => {
    const q = parseQuery(`nodule ${text}`);
    expect(q.findings[0].size).toEqual({ mm: Math.max(...dims), dims });
    const term = q.findings[0].terms.find((t) => t.kind === 'size');
    expect(term && q.text.slice(term.span.start, term.span.end)).toBe(text);
  });

  it('does not read a bare number, a number inside a word, or a unit that runs on', () => {
    expect(readSize('8 nodules', 0)).toBeUndefined();
    expect(readSize('s6 mm', 1)).toBeUndefined();
    expect(readSize('8 cmx', 0)).toBeUndefined();
    expect(readSize('8 mmhg', 0)).toBeUndefined();
  });

  it('reads a decimal comma only where a unit or a second dimension follows, never the digits after a list comma', () => {
    expect(readSize('4,5 and 6 mm', 0)).toBeUndefined();
    expect(readSize('4,5 and 6 mm', 2)).toBeUndefined();
    expect(readSize('1,2 cm', 2)).toBeUndefined();
    expect(readSize('1,2 cm', 0)?.dims).toEqual([12]);
  });

  it('keeps decimals exact', () => {
    expect(readSize('1.1 cm', 0)?.dims).toEqual([11]);
    expect(readSize('0.35 cm', 0)?.dims).toEqual([3.5]);
  });
});
