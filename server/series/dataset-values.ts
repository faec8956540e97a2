/** Typed reads of element values from a dcmjs dict; absent, empty or non-numeric values read as undefined. */
import type { RawDict } from './dcmjs-api';

export function str(ds: RawDict | undefined, tag: string): string | undefined {
  const v = ds?.[tag]?.Value?.[0];
  if (typeof v === 'string') {
    const t = v.replace(/\0/g, '').trim();
    return t === '' ? undefined : t;
  }
  return typeof v === 'number' && Number.isFinite(v) ? String(v) : undefined;
}

function toNumber(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'string' && v.trim() !== '') {
    const n = Number(v.trim());
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

export function num(ds: RawDict | undefined, tag: string): number | undefined {
  return toNumber(ds?.[tag]?.Value?.[0]);
}

/** Exactly `n` finite numbers, or undefined. */
export function nums(ds: RawDict | undefined, tag: string, n: number): number[] | undefined {
  const values = ds?.[tag]?.Value;
  if (!Array.isArray(values) || values.length !== n) return undefined;
  const out: number[] = [];
  for (const v of values) {
    const x = toNumber(v);
    if (x === undefined) return undefined;
    out.push(x);
  }
  return out;
}

/** The items of a sequence element (dicts), or an empty list. */
export function items(ds: RawDict | undefined, tag: string): RawDict[] {
  const values = ds?.[tag]?.Value;
  if (!Array.isArray(values)) return [];
  return values.filter((v): v is RawDict => typeof v === 'object' && v !== null && !Array.isArray(v));
}

/** The first item of a sequence element, or undefined. */
export function item(ds: RawDict | undefined, tag: string): RawDict | undefined {
  return items(ds, tag)[0];
}
