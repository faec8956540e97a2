/**
 * One runtime per OHIF app: configuration, API client, viewer facade and the controller that the
 * panel and the commands share. Built on first use from the host's managers.
 */
import { createClient } from '../../server/http/client';
import { resolveConfig, type SliceFinderConfig } from './config';
import { SliceFinderController } from './controller/SliceFinderController';
import { createViewerFacade, type ViewerFacade } from './viewer/facade';
import type { ExtensionParams } from './viewer/hostTypes';

export interface Runtime {
  params: ExtensionParams;
  config: SliceFinderConfig;
  viewer: ViewerFacade;
  controller: SliceFinderController;
}

export function createRuntime(params: ExtensionParams): Runtime {
  const config = resolveConfig(params.configuration);
  const viewer = createViewerFacade(params, { drawMode: config.drawMode });
  const api = createClient(config.backendUrl, { auth: () => viewer.getAuthorization() });
  const controller = new SliceFinderController({ api, viewer, config });
  return { params, config, viewer, controller };
}
