/** Which SOP classes hold images the loader can stack, and which are objects to skip or refuse. */

export const MEDIA_STORAGE_DIRECTORY = '1.2.840.10008.1.3.10';

const STORAGE = '1.2.840.10008.5.1.4.1.1.';

/** Image storage classes: a missing PixelData in one of these means a damaged file, not a non-image object. */
const IMAGE_CLASSES = new Set(
  [
    '1.1', '1.1.1', '1.2', '1.2.1', '1.3', '1.3.1', // DX, MG, IO
    '2', '2.1', '2.2', // CT, Enhanced CT, Legacy Converted Enhanced CT
    '3.1', '6.1', '6.2', // US multi-frame, US, Enhanced US volume
    '4', '4.1', '4.2', '4.3', '4.4', // MR family
    '7', '7.1', '7.2', '7.3', '7.4', // Secondary Capture
    '12.1', '12.1.1', '12.2', '12.2.1', '13.1.1', '13.1.2', '13.1.3', // XA, XRF, X-ray 3D, breast tomosynthesis
    '20', '128', '128.1', '130', // NM, PET, Enhanced PET, Legacy Converted Enhanced PET
    '481.1', '481.2', // RT Image, RT Dose
  ].map((s) => STORAGE + s),
);

/** Known non-image classes, by prefix: structured reports, segmentations, presentation states, RT objects, ... */
const NON_IMAGE_PREFIXES = [
  STORAGE + '66', // raw data, registrations, fiducials, segmentation (.66.4), surface segmentation
  STORAGE + '88.', // structured reports
  STORAGE + '11.', // presentation states
  STORAGE + '104.', // encapsulated PDF / CDA / STL / OBJ / MTL
  STORAGE + '9.', // waveforms
  STORAGE + '68.', // surfaces
  STORAGE + '481.3', STORAGE + '481.4', STORAGE + '481.5', STORAGE + '481.6', STORAGE + '481.7',
  STORAGE + '481.8', STORAGE + '481.9', STORAGE + '481.10', STORAGE + '481.11', // RT structures, plans, records
  '1.2.840.10008.5.1.4.1.1.40', // hanging protocol
  '1.2.840.10008.5.1.4.38.', '1.2.840.10008.5.1.4.39.', '1.2.840.10008.5.1.4.43.', '1.2.840.10008.5.1.4.44.', // protocols
];

export type SopClassKind = 'image' | 'non-image' | 'directory' | 'unknown';

export function classifySopClass(uid: string): SopClassKind {
  if (uid === MEDIA_STORAGE_DIRECTORY) return 'directory';
  if (IMAGE_CLASSES.has(uid)) return 'image';
  if (NON_IMAGE_PREFIXES.some((p) => uid === p || uid.startsWith(p.endsWith('.') ? p : p + '.'))) {
    return 'non-image';
  }
  return 'unknown';
}
