/** Messages between the fuzz test and its workers. */

export interface FuzzRequest {
  id: number;
  files: Array<{ name: string; data: ArrayBuffer }>;
}

export type FuzzReply =
  | {
      id: number;
      kind: 'volume';
      slices: number;
      rows: number;
      columns: number;
      huLength: number;
      positions: number;
      sopInstanceUIDs: number;
      frames: number;
      allFinite: boolean;
      sliceSpacing: number;
      skipped: number;
    }
  | { id: number; kind: 'error'; code: string; httpStatus: number; name: string; message: string }
  /** Anything thrown that is not a SeriesError: a bug. */
  | { id: number; kind: 'escaped'; name: string; message: string };
