/**
 * One runtime per OHIF app: configuration, API client, viewer facade and the controller that the
 * panel and the commands share. Built on first use from the host's managers.
 */
import { createClient } from '../../contract/client';
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

/** Where app-config puts the configuration when the extension is listed by URL (see configurationOf). */
export const APP_CONFIG_KEY = 'sliceFinder';

/**
 * The prebuilt viewer imports only plain strings in `extensions`; an `[url, configuration]` pair
 * reaches registerExtension un-imported and fails ("Extension ID not set"). So a runtime-loaded
 * extension is listed by URL and configured under window.config.sliceFinder; a pair's
 * configuration (an extension object bundled into a custom viewer build) overrides it.
 */
export function configurationOf(params: Pick<ExtensionParams, 'configuration' | 'appConfig'>): Record<string, unknown> {
  const fromApp = params.appConfig?.[APP_CONFIG_KEY];
  return { ...(fromApp && typeof fromApp === 'object' ? (fromApp as Record<string, unknown>) : {}), ...(params.configuration ?? {}) };
}

export function createRuntime(params: ExtensionParams): Runtime {
  const config = resolveConfig(configurationOf(params));
  const viewer = createViewerFacade(params);
  const api = createClient(config.backendUrl, { auth: () => viewer.getAuthorization() });
  const controller = new SliceFinderController({ api, viewer, config });
  return { params, config, viewer, controller };
}
