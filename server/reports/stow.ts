/**
 * STOW-RS (PS3.18 10.5): one POST of Part 10 files to `{root}/studies/{study}` as
 * multipart/related; type="application/dicom". Success is a 200 whose answer lists no failed SOP
 * and every instance sent (a 202 "some failed" or any other status is a refusal); a refusal or a
 * PACS that cannot be reached is a 502 that names the PACS's status.
 */
import { randomBytes } from 'node:crypto';
import { SourceError } from '../series/sources/errors';

export interface StowOptions {
  root: string;
  studyInstanceUID: string;
  files: Array<{ sopInstanceUID: string; bytes: Uint8Array }>;
  authorization?: string;
  timeoutMs: number;
  fetch?: typeof fetch;
}

/** The PACS did not store what was sent; `pacsStatus` is its HTTP status (0: no answer). */
export class StowError extends SourceError {
  constructor(
    readonly pacsStatus: number,
    message: string,
  ) {
    super(502, pacsStatus === 0 ? 'pacs_unreachable' : 'pacs_refused', message);
  }
}

const FAILED_SOP_SEQUENCE = '00081198';
const REFERENCED_SOP_SEQUENCE = '00081199';
const REFERENCED_SOP_INSTANCE_UID = '00081155';

export function multipartBody(files: StowOptions['files']): { body: Buffer; contentType: string } {
  const boundary = `slicefinder-${randomBytes(12).toString('hex')}`;
  const chunks: Buffer[] = [];
  for (const f of files) {
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Type: application/dicom\r\n\r\n`), Buffer.from(f.bytes.buffer, f.bytes.byteOffset, f.bytes.byteLength), Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), contentType: `multipart/related; type="application/dicom"; boundary=${boundary}` };
}

export async function stowInstances(o: StowOptions): Promise<void> {
  const { body, contentType } = multipartBody(o.files);
  const headers: Record<string, string> = { 'content-type': contentType, accept: 'application/dicom+json' };
  if (o.authorization) headers.authorization = o.authorization;
  let res: Response;
  try {
    res = await (o.fetch ?? fetch)(`${o.root}/studies/${encodeURIComponent(o.studyInstanceUID)}`, {
      method: 'POST',
      headers,
      body: new Uint8Array(body), // a copy with a plain ArrayBuffer, as fetch's types want
      signal: AbortSignal.timeout(o.timeoutMs),
      redirect: 'error',
    });
  } catch (err) {
    const name = (err as { name?: string }).name;
    const why = name === 'TimeoutError' || name === 'AbortError' ? 'did not answer in time' : 'could not be reached';
    throw new StowError(0, `the PACS ${why}; nothing was stored`);
  }
  const text = await res.text().catch(() => '');
  if (res.status !== 200) throw new StowError(res.status, `the PACS refused to store the report (HTTP ${res.status})`);
  // A 200 must list what it stored: some PACS answer 200 with a failed-SOP list.
  let answer: Record<string, { Value?: Array<Record<string, { Value?: unknown[] }>> }> | undefined;
  try {
    const parsed = JSON.parse(text) as unknown;
    answer = (Array.isArray(parsed) ? parsed[0] : parsed) as typeof answer;
  } catch {
    answer = undefined;
  }
  if (!answer) return; // a PACS that answers 200 with no body has stored everything (PS3.18 allows an empty body only for success)
  if ((answer[FAILED_SOP_SEQUENCE]?.Value ?? []).length > 0) {
    throw new StowError(res.status, 'the PACS refused to store the report (it listed the instance as failed)');
  }
  const stored = new Set((answer[REFERENCED_SOP_SEQUENCE]?.Value ?? []).map((item) => String(item[REFERENCED_SOP_INSTANCE_UID]?.Value?.[0] ?? '')));
  const missing = o.files.filter((f) => !stored.has(f.sopInstanceUID));
  if (missing.length > 0) throw new StowError(res.status, 'the PACS did not confirm storing the report');
}
