/**
 * The headers of the source images a report references (patient, study, frame of reference, SOP
 * class): from the folder index of the embedded DICOMweb, or by WADO-RS metadata from the PACS with
 * the same credential the series was fetched with.
 */
import { metadataOf, type FolderIndex } from '../dicomweb/folder-index';
import { SourceError } from '../series/sources/errors';
import { naturalize, type Dataset } from './part10';

export interface SourceImages {
  /** The naturalized header of one instance of the source series. */
  header(sopInstanceUID: string): Promise<Dataset>;
}

export function folderImages(index: FolderIndex): SourceImages {
  return {
    async header(sop) {
      const inst = index.instance(sop);
      if (!inst) throw new SourceError(404, 'instances_not_found', 'an instance of the series is no longer in the folder');
      return naturalize(metadataOf(inst) as Record<string, unknown>);
    },
  };
}

export function pacsImages(o: {
  root: string;
  studyInstanceUID: string;
  seriesInstanceUID: string;
  authorization?: string;
  timeoutMs: number;
  fetch?: typeof fetch;
}): SourceImages {
  return {
    async header(sop) {
      const url = `${o.root}/studies/${encodeURIComponent(o.studyInstanceUID)}/series/${encodeURIComponent(o.seriesInstanceUID)}/instances/${encodeURIComponent(sop)}/metadata`;
      const headers: Record<string, string> = { accept: 'application/dicom+json' };
      if (o.authorization) headers.authorization = o.authorization;
      let res: Response;
      try {
        res = await (o.fetch ?? fetch)(url, { headers, signal: AbortSignal.timeout(o.timeoutMs), redirect: 'error' });
      } catch (err) {
        const name = (err as { name?: string }).name;
        if (name === 'TimeoutError' || name === 'AbortError') throw new SourceError(504, 'pacs_timeout', 'the PACS did not answer in time');
        throw new SourceError(502, 'pacs_unreachable', 'the PACS could not be reached');
      }
      if (res.status === 401) throw new SourceError(401, 'pacs_unauthorized', 'the PACS asks for credentials');
      if (res.status === 403) throw new SourceError(403, 'pacs_forbidden', 'the PACS refused access to this series');
      if (res.status === 404) throw new SourceError(404, 'instances_not_found', 'the PACS no longer has an instance of this series');
      if (!res.ok) throw new SourceError(502, 'pacs_error', `the PACS answered with status ${res.status}`);
      let body: unknown;
      try {
        body = await res.json();
      } catch {
        throw new SourceError(502, 'pacs_bad_metadata', 'the PACS sent metadata that is not DICOM JSON');
      }
      const first = Array.isArray(body) ? (body[0] as unknown) : undefined;
      if (typeof first !== 'object' || first === null) throw new SourceError(502, 'pacs_bad_metadata', 'the PACS sent no metadata for the instance');
      return naturalize(first as Record<string, unknown>);
    },
  };
}
