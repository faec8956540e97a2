/** Where the bundled sample study lives: ../shared/data beside the checkout, unless configured. */
import path from 'node:path';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
export const SAMPLE_DATA_DIR = process.env.SLICE_FINDER_DATA_DIR ?? path.resolve(REPO_ROOT, '..', 'shared', 'data');
export const SAMPLE_CASE_DIR = path.join(SAMPLE_DATA_DIR, 'lidc-idri-0001');
export const SAMPLE_DICOM_DIR = path.join(SAMPLE_CASE_DIR, 'dicom');
