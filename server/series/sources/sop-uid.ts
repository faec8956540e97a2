/**
 * Reads MediaStorageSOPInstanceUID (0002,0003) from a DICOM Part 10 file's meta header, which is
 * always explicit VR little endian: enough to keep or drop a part without decoding the dataset.
 */
const LONG_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV']);

export function mediaStorageSopInstanceUid(data: Uint8Array): string | undefined {
  if (data.length < 132 || data[128] !== 0x44 || data[129] !== 0x49 || data[130] !== 0x43 || data[131] !== 0x4d) {
    return undefined; // no "DICM" magic
  }
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let pos = 132;
  while (pos + 8 <= data.length) {
    const group = view.getUint16(pos, true);
    if (group !== 0x0002) return undefined;
    const element = view.getUint16(pos + 2, true);
    const vr = String.fromCharCode(data[pos + 4], data[pos + 5]);
    let length: number;
    let valueAt: number;
    if (LONG_VRS.has(vr)) {
      if (pos + 12 > data.length) return undefined;
      length = view.getUint32(pos + 8, true);
      valueAt = pos + 12;
    } else {
      length = view.getUint16(pos + 6, true);
      valueAt = pos + 8;
    }
    if (valueAt + length > data.length) return undefined;
    if (element === 0x0003) {
      let s = '';
      for (let i = valueAt; i < valueAt + length; i++) s += String.fromCharCode(data[i]);
      return s.replace(/[\0 ]+$/, '');
    }
    pos = valueAt + length;
  }
  return undefined;
}
