/** What the plugins share through the Fastify instance, and the request fields auth adds. */
import type { Logger } from 'pino';
import type { Config } from '../config';
import type { Engine } from './engine';
import type { Hasher } from './hash';
import type { SeriesService } from './series-service';

export interface ServiceContext {
  config: Config;
  engine: Engine;
  series: SeriesService;
  hash: Hasher;
  logger: Logger;
}

export interface AuthUser {
  /** For the audit log: the token's name or the JWT subject. */
  id: string;
  method: 'token' | 'jwt' | 'none';
}

export interface Metrics {
  observeStages(timings: Record<string, number>): void;
  cacheResult(result: 'hit' | 'joined' | 'miss'): void;
  pacsOutcome(outcome: string): void;
  modelInUse(model: { id: string; version: string; executionProvider: string }): void;
}

export interface AuditEntry {
  user: string;
  studyInstanceUID: string;
  seriesInstanceUID: string;
  slices: number;
  query: string;
  scores: number[];
  model: string;
  latencyMs: number;
}

export interface UploadAuditEntry {
  user: string;
  studyInstanceUID: string;
  seriesInstanceUID: string;
  slices: number;
  /** Files left out of the volume. */
  skipped: number;
  bytes: number;
  latencyMs: number;
}

export interface ReportAuditEntry {
  user: string;
  studyInstanceUID: string;
  seriesInstanceUID: string;
  slices: number;
  /** Lesions saved, distinct images they reference, instances written (SR + KOS). */
  lesions: number;
  images: number;
  instances: number;
  /** Where they went: the PACS or the embedded DICOMweb. */
  destination: 'pacs' | 'folder';
  latencyMs: number;
}

export interface AuditLog {
  record(entry: AuditEntry): void;
  /** An upload that was decoded and kept. */
  upload(entry: UploadAuditEntry): void;
  /** A report saved (SR and KOS stored). */
  report(entry: ReportAuditEntry): void;
}

declare module 'fastify' {
  interface FastifyInstance {
    sliceFinder: ServiceContext;
    metrics: Metrics;
    audit: AuditLog;
  }
  interface FastifyRequest {
    user?: AuthUser;
    /** The Authorization header the PACS may see (never one of our own static tokens). */
    pacsAuthorization?: string;
  }
  interface FastifyContextConfig {
    /** Reachable without auth (health, docs). */
    public?: boolean;
  }
}
