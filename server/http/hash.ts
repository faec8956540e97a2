/** Keyed hashes for logs and the audit trail: stable within a deployment, useless to a dictionary attack. */
import { createHmac, randomBytes } from 'node:crypto';

export type Hasher = (value: string) => string;

/** HMAC-SHA256 → 16 base64url characters. Without a key, a random one per process. */
export function createHasher(key?: string): Hasher {
  const k = key ?? randomBytes(32).toString('hex');
  return (value) => createHmac('sha256', k).update(value).digest('base64url').slice(0, 16);
}

/** Something shaped like a DICOM UID (at least 5 numeric components, so IPv4 addresses stay readable), anywhere in a string. */
const UID_PATTERN = /\b\d+(?:\.\d+){4,}\b/g;

export function scrubUids(text: string, hash: Hasher): string {
  return text.replace(UID_PATTERN, (uid) => `uid#${hash(uid)}`);
}
