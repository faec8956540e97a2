/**
 * The dcmjs calls the loader makes, typed here (dcmjs ships no types): parse a Part 10 header and
 * look up a tag's value representation in the standard dictionary.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const dcmjs = require('dcmjs') as {
  data: {
    DicomMessage: {
      readFile(buffer: ArrayBuffer, options?: { ignoreErrors?: boolean; untilTag?: string | null }): { meta: RawDict; dict: RawDict };
    };
    DicomMetaDictionary: { dictionary: Record<string, { vr?: string } | undefined> };
  };
  log: Logger & { getLogger(name: string): Logger };
};

interface Logger {
  getLevel(): number;
  setLevel(level: string | number, persist?: boolean): void;
}

// dcmjs's validation logger prints to the console for every implicit-VR "xs"/"ox" tag (e.g. the
// PixelPaddingValue of most CT files): noise in a server, and a flood under hostile input.
dcmjs.log.getLogger('validation.dcmjs').setLevel('silent', false);

export interface RawElement {
  vr?: string;
  Value?: unknown[];
  /** The values as written, before any conversion (strings). */
  _rawValue?: unknown[];
}
/** dcmjs's naturalised-free element dict: "GGGGEEEE" → {vr, Value}; sequence items are RawDicts. */
export type RawDict = Record<string, RawElement | undefined>;

/**
 * Parses the Part 10 file in `buffer` (which must end where the header ends: the caller cuts it
 * before PixelData). `ignoreErrors` only for a retry after an unsupported character set.
 */
export function readPart10(buffer: ArrayBuffer, ignoreErrors = false): { meta: RawDict; dict: RawDict } {
  if (!ignoreErrors) return dcmjs.data.DicomMessage.readFile(buffer, { ignoreErrors, untilTag: null });
  // The tolerant parse warns on the console for every file; keep it quiet for this call only.
  const level = dcmjs.log.getLevel();
  dcmjs.log.setLevel('silent', false);
  try {
    return dcmjs.data.DicomMessage.readFile(buffer, { ignoreErrors, untilTag: null });
  } finally {
    dcmjs.log.setLevel(level, false);
  }
}

const vrCache = new Map<number, string | undefined>();

/** The value representation the standard dictionary gives a tag (for implicit VR data), or undefined. */
export function lookupVr(tag: number): string | undefined {
  let vr = vrCache.get(tag);
  if (vr === undefined && !vrCache.has(tag)) {
    const h = (tag >>> 0).toString(16).toUpperCase().padStart(8, '0');
    vr = dcmjs.data.DicomMetaDictionary.dictionary[`(${h.slice(0, 4)},${h.slice(4)})`]?.vr;
    if (vrCache.size < 4096) vrCache.set(tag, vr); // bounded: hostile data can name many tags
  }
  return vr;
}
