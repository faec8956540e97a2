/**
 * A DICOMweb subset over a folder index, enough for OHIF and the service: QIDO-RS search (studies,
 * series, instances), WADO-RS metadata, frames and whole instances/series. It takes no STOW-RS: the
 * only writes are the reports this server makes itself (FolderIndex.add, held in memory).
 * Register with a prefix, e.g. `app.register(dicomwebPlugin, { prefix: '/dicom-web', index })`.
 */
import { readFile } from 'node:fs/promises';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { DicomJsonDataset, parsePixelFile } from './dicom-file';
import { FolderIndex, InstanceEntry, SeriesEntry } from './folder-index';
import { extractFrames, FrameError, multipartRelated, parseFrameList } from './frames';
import { searchInstances, searchSeries, searchStudies } from './qido';

export interface DicomwebPluginOptions {
  index: FolderIndex;
}

type Query = Record<string, string | string[] | undefined>;
interface UIDParams {
  study?: string;
  series?: string;
  sop?: string;
  frames?: string;
}

const DICOM_JSON = 'application/dicom+json';

function notFound(reply: FastifyReply, what: string): FastifyReply {
  return reply.code(404).send({ statusCode: 404, code: 'NOT_FOUND', message: `${what} not found` });
}

export async function dicomwebPlugin(app: FastifyInstance, opts: DicomwebPluginOptions): Promise<void> {
  const { index } = opts;

  const seriesIn = (study: string, series: string): SeriesEntry | undefined => {
    const s = index.series(series);
    return s && s.studyInstanceUID === study ? s : undefined;
  };
  const instanceIn = (p: UIDParams): InstanceEntry | undefined => {
    const s = seriesIn(p.study ?? '', p.series ?? '');
    return s?.instances.find((i) => i.sopInstanceUID === p.sop);
  };
  const json = (reply: FastifyReply, body: DicomJsonDataset[]): FastifyReply => reply.type(DICOM_JSON).send(body);
  // The index keeps each header as DICOM JSON text: sent as it is, not parsed and written again.
  const metadata = (reply: FastifyReply, instances: InstanceEntry[]): FastifyReply =>
    reply.type(DICOM_JSON).send(`[${instances.map((i) => i.metadataJson).join(',')}]`);

  // QIDO-RS
  app.get<{ Querystring: Query }>('/studies', async (req, reply) => json(reply, searchStudies(index, req.query)));
  app.get<{ Querystring: Query }>('/series', async (req, reply) => json(reply, searchSeries(index, req.query)));
  app.get<{ Querystring: Query }>('/instances', async (req, reply) => json(reply, searchInstances(index, req.query)));
  app.get<{ Querystring: Query; Params: UIDParams }>('/studies/:study/series', async (req, reply) => {
    if (!index.study(req.params.study!)) return json(reply, []);
    return json(reply, searchSeries(index, req.query, req.params.study));
  });
  app.get<{ Querystring: Query; Params: UIDParams }>('/studies/:study/instances', async (req, reply) =>
    json(reply, searchInstances(index, req.query, req.params.study)),
  );
  app.get<{ Querystring: Query; Params: UIDParams }>('/studies/:study/series/:series/instances', async (req, reply) =>
    json(reply, searchInstances(index, req.query, req.params.study, req.params.series)),
  );

  // WADO-RS metadata
  app.get<{ Params: UIDParams }>('/studies/:study/metadata', async (req, reply) => {
    const study = index.study(req.params.study!);
    if (!study) return notFound(reply, 'study');
    return metadata(reply, study.series.flatMap((s) => s.instances));
  });
  app.get<{ Params: UIDParams }>('/studies/:study/series/:series/metadata', async (req, reply) => {
    const series = seriesIn(req.params.study!, req.params.series!);
    if (!series) return notFound(reply, 'series');
    return metadata(reply, series.instances);
  });
  app.get<{ Params: UIDParams }>('/studies/:study/series/:series/instances/:sop/metadata', async (req, reply) => {
    const inst = instanceIn(req.params);
    return inst ? metadata(reply, [inst]) : notFound(reply, 'instance');
  });

  // WADO-RS frames (native frames as explicit little endian bytes)
  app.get<{ Params: UIDParams }>('/studies/:study/series/:series/instances/:sop/frames/:frames', async (req, reply) => {
    const inst = instanceIn(req.params);
    if (!inst) return notFound(reply, 'instance');
    try {
      const frames = parseFrameList(req.params.frames ?? '');
      const parts = extractFrames(parsePixelFile(inst.data ?? (await readFile(inst.path))), frames);
      const body = multipartRelated(
        'application/octet-stream',
        parts.map((p) => ({ contentType: `application/octet-stream; transfer-syntax=${p.transferSyntaxUID}`, data: p.data })),
      );
      return reply.type(body.contentType).send(body.body);
    } catch (err) {
      if (err instanceof FrameError) {
        return reply.code(err.httpStatus).send({ statusCode: err.httpStatus, code: err.code, message: err.message });
      }
      return reply.code(422).send({ statusCode: 422, code: 'UNREADABLE_INSTANCE', message: 'the instance could not be read' });
    }
  });

  // WADO-RS instances and series as Part 10 files
  const sendFiles = async (reply: FastifyReply, instances: InstanceEntry[]): Promise<FastifyReply> => {
    const datas = await Promise.all(instances.map((i) => i.data ?? readFile(i.path)));
    const body = multipartRelated('application/dicom', datas.map((data) => ({ contentType: 'application/dicom', data })));
    return reply.type(body.contentType).send(body.body);
  };
  app.get<{ Params: UIDParams }>('/studies/:study/series/:series', async (req, reply) => {
    const series = seriesIn(req.params.study!, req.params.series!);
    return series ? sendFiles(reply, series.instances) : notFound(reply, 'series');
  });
  app.get<{ Params: UIDParams }>('/studies/:study/series/:series/instances/:sop', async (req, reply) => {
    const inst = instanceIn(req.params);
    return inst ? sendFiles(reply, [inst]) : notFound(reply, 'instance');
  });
}
