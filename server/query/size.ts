/**
 * Reads a size at a position of the normalised text: "8mm", "1.2 cm", "12×9mm", "12 x 9 x 7 mm", "12 mm x 9 mm",
 * "8-mm", "3 厘米", "8-10 mm" (a range keeps its upper bound), "1,2 cm" (a decimal comma, where a unit or a second
 * dimension follows). Every value comes back in mm.
 */
import { isWordChar } from './normalize';

export interface SizeMatch {
  /** Dimensions in the order written, in mm. */
  dims: number[];
  end: number;
}

const NUMBER = /\d+(?:\.\d+)?/y;
const DECIMAL_COMMA = /\d+,\d+/y;
const UNIT = /(mm|cm|millimet(?:er|re)s?|centimet(?:er|re)s?|毫米|厘米|公分)/y;
const BY = /(?:[x×*✕╳]|by)/y;
const RANGE = /(?:[-–~～至到]|to)/y;
const SPACES = /[ \t\u00a0]*/y;

const MM_PER: Record<string, number> = { mm: 1, cm: 10, 毫米: 1, 厘米: 10, 公分: 10 };

function unitFactor(unit: string): number {
  return MM_PER[unit] ?? (unit.startsWith('c') ? 10 : 1);
}

function stickyAt(re: RegExp, s: string, i: number): RegExpExecArray | null {
  re.lastIndex = i;
  return re.exec(s);
}

function skipSpaces(s: string, i: number): number {
  return stickyAt(SPACES, s, i)?.[0].length ? SPACES.lastIndex : i;
}

/** A unit at i (optionally after one hyphen, as in "8-mm"), not running on into a word. */
function readUnit(s: string, i: number): { factor: number; end: number } | undefined {
  let j = skipSpaces(s, i);
  if (s[j] === '-') j++;
  const m = stickyAt(UNIT, s, j);
  if (!m) return undefined;
  const end = j + m[0].length;
  // "8mmx6mm" is fine; "8 cmz" is not a unit.
  if (/[a-z]/.test(m[0]) && isWordChar(s[end]) && !(s[end] === 'x' && /[\d\s]/.test(s[end + 1] ?? ''))) return undefined;
  return { factor: unitFactor(m[0]), end };
}

/** A number at i: "1.2", or "1,2" where a unit or a "×" follows (else "1,2" is a list and reads as "1"). */
function readNumber(s: string, i: number): { value: number; end: number } | undefined {
  const dc = stickyAt(DECIMAL_COMMA, s, i);
  if (dc) {
    const end = i + dc[0].length;
    if (readUnit(s, end) || stickyAt(BY, s, skipSpaces(s, end))) return { value: Number(dc[0].replace(',', '.')), end };
  }
  const m = stickyAt(NUMBER, s, i);
  return m ? { value: Number(m[0]), end: i + m[0].length } : undefined;
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}

export function readSize(s: string, start: number): SizeMatch | undefined {
  // not inside a number: "1.2", and "1,2" whose first part did not read as a size
  if (isWordChar(s[start - 1]) || s[start - 1] === '.' || (s[start - 1] === ',' && /\d/.test(s[start - 2] ?? ''))) return undefined;
  const first = readNumber(s, start);
  if (!first) return undefined;
  const values: number[] = [first.value];
  const factors: Array<number | undefined> = [];
  let end = first.end;
  let unit = readUnit(s, end);
  factors.push(unit?.factor);
  if (unit) end = unit.end;

  // Further dimensions: "× 9", "x 9 mm".
  while (values.length < 3) {
    const j = skipSpaces(s, end);
    const by = stickyAt(BY, s, j);
    if (!by) break;
    const k = skipSpaces(s, j + by[0].length);
    const num = readNumber(s, k);
    if (!num) break;
    values.push(num.value);
    end = num.end;
    unit = readUnit(s, end);
    factors.push(unit?.factor);
    if (unit) end = unit.end;
  }

  // A range "8-10 mm": keep the upper bound.
  if (values.length === 1 && factors[0] === undefined) {
    const j = skipSpaces(s, end);
    const dash = stickyAt(RANGE, s, j);
    if (dash) {
      const k = skipSpaces(s, j + dash[0].length);
      const num = stickyAt(NUMBER, s, k);
      const u = num ? readUnit(s, k + num[0].length) : undefined;
      if (num && u) return { dims: [round2(Math.max(values[0], Number(num[0])) * u.factor)], end: u.end };
    }
  }

  const last = [...factors].reverse().find((f) => f !== undefined);
  // Without any unit only "12×9" counts (radiologists mean mm); a bare "8" is not a size.
  if (last === undefined && values.length < 2) return undefined;
  const dims = values.map((v, i) => round2(v * (factors[i] ?? last ?? 1)));
  return { dims, end };
}
