/** The headers of JPEG-family images (T.81 JPEG and T.87 JPEG-LS share the marker syntax): the frame's start-of-frame marker and what it says, and where the image ends. */
import type { FrameHeader } from './frame';

const SOI = 0xffd8, SOS = 0xffda;
/** Start-of-frame markers: T.81's (0xffc4, 0xffc8 and 0xffcc are not) and JPEG-LS's SOF55. */
const SOF = new Set([0xffc0, 0xffc1, 0xffc2, 0xffc3, 0xffc5, 0xffc6, 0xffc7, 0xffc9, 0xffca, 0xffcb, 0xffcd, 0xffce, 0xffcf, 0xfff7]);

/** The first start-of-frame before the image's scan, or undefined where the bytes hold none. */
export function jpegFrameHeader(jpeg: Uint8Array): (FrameHeader & { marker: number }) | undefined {
  const u16 = (p: number): number => (jpeg[p] << 8) | jpeg[p + 1];
  if (jpeg.length < 4 || u16(0) !== SOI) return undefined;
  // segments: a marker, then a big-endian length that counts itself
  for (let p = 2; p + 4 <= jpeg.length; ) {
    const marker = u16(p);
    if (marker >> 8 !== 0xff || marker === SOS) return undefined;
    if (SOF.has(marker)) {
      if (p + 10 > jpeg.length) return undefined;
      return { marker, precision: jpeg[p + 4], rows: u16(p + 5), columns: u16(p + 7), components: jpeg[p + 9] };
    }
    p += 2 + u16(p + 2);
  }
  return undefined;
}

/**
 * Where the image's end-of-image marker is: its last two bytes, or but for the byte or two after it that pad a
 * fragment to even length (zero by the standard; DCMTK's, as Orthanc writes them, are at times whatever was in
 * memory); undefined where it has none. Coded data never holds the marker's bytes (an 0xff in it is followed by 0).
 */
export function endOfImage(jpeg: Uint8Array): number | undefined {
  for (let e = jpeg.length - 2; e >= Math.max(2, jpeg.length - 4); e--) if (jpeg[e] === 0xff && jpeg[e + 1] === 0xd9) return e;
  return undefined;
}
