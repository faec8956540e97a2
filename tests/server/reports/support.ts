/** Reading back what a save wrote: WADO-RS multipart bodies and the documents' content trees. */
import type { Dataset } from '../../../server/reports/part10';

/** The parts of a multipart/related body. */
export function multipartParts(body: Buffer, contentType: string): Buffer[] {
  const m = /boundary="?([^";]+)"?/i.exec(contentType);
  if (!m) throw new Error(`no boundary in ${contentType}`);
  const delimiter = Buffer.from(`--${m[1]}`);
  const parts: Buffer[] = [];
  let at = body.indexOf(delimiter);
  while (at >= 0) {
    const next = body.indexOf(delimiter, at + delimiter.length);
    if (next < 0) break;
    const part = body.subarray(at + delimiter.length, next);
    const headerEnd = part.indexOf('\r\n\r\n');
    if (headerEnd >= 0) parts.push(part.subarray(headerEnd + 4, part.length - 2)); // drop the CRLF before the next delimiter
    at = next;
  }
  return parts;
}

const seq = (v: unknown): Dataset[] => (Array.isArray(v) ? (v as Dataset[]) : v ? [v as Dataset] : []);
export const codeOf = (item: Dataset): string => String(seq(item.ConceptNameCodeSequence)[0]?.CodeValue ?? '');
export const children = (item: Dataset): Dataset[] => seq(item.ContentSequence);
export const child = (item: Dataset, code: string): Dataset | undefined => children(item).find((c) => codeOf(c) === code);

export interface GroupRead {
  trackingIdentifier: string;
  finding: string;
  referencedSop: string;
  points: number[];
  longMm: number;
  shortMm: number;
  text: string;
  algorithm: string[];
}

/** The TID 1410 groups of a TID 1500 report, as plain values. */
export function measurementGroups(sr: Dataset): GroupRead[] {
  const measurements = child(sr, '126010');
  if (!measurements) throw new Error('no Imaging Measurements container');
  return children(measurements)
    .filter((g) => codeOf(g) === '125007')
    .map((g) => {
      const scoord = children(g).find((c) => c.ValueType === 'SCOORD')!;
      const image = children(scoord)[0];
      const value = (code: string): number => Number(seq(child(g, code)?.MeasuredValueSequence)[0]?.NumericValue);
      return {
        trackingIdentifier: String(child(g, '112039')?.TextValue ?? ''),
        finding: String(seq(child(g, '121071')?.ConceptCodeSequence)[0]?.CodeMeaning ?? ''),
        referencedSop: String(seq(image?.ReferencedSOPSequence)[0]?.ReferencedSOPInstanceUID ?? ''),
        points: (scoord.GraphicData as number[]).map(Number),
        longMm: value('103339001'),
        shortMm: value('103340004'),
        text: String(child(g, '121106')?.TextValue ?? ''),
        algorithm: [String(child(g, '111001')?.TextValue ?? ''), String(child(g, '111003')?.TextValue ?? '')],
      };
    });
}

/** The SOP Instance UIDs a KOS selects, and its description. */
export function keyObjects(ko: Dataset): { description: string; sops: string[] } {
  const items = children(ko);
  return {
    description: String(items.find((c) => codeOf(c) === '113012')?.TextValue ?? ''),
    sops: items.filter((c) => c.ValueType === 'IMAGE').map((c) => String(seq(c.ReferencedSOPSequence)[0]?.ReferencedSOPInstanceUID ?? '')),
  };
}
