/**
 * The bridge to the host: OHIF renders our panel component with ITS React, which shares nothing
 * with ours. So the component it gets uses no hooks; it returns a plain <div> whose (stable) ref
 * callback mounts our own React root there, and unmounts it once the div has left the document.
 */
import { createElement, type ReactElement } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { injectStyles } from './styles';

export const ISLAND_ATTRIBUTE = 'data-slice-finder-island';

export function createIsland(render: () => ReactElement): () => ReactElement {
  const roots = new Map<HTMLElement, Root>();
  const sweep = () => {
    for (const [el, root] of roots) {
      if (!el.isConnected) {
        root.unmount();
        roots.delete(el);
      }
    }
  };
  const ref = (el: HTMLDivElement | null) => {
    if (!el) {
      // Detached during the host's commit; unmount outside it.
      setTimeout(sweep, 0);
      return;
    }
    if (roots.has(el)) return;
    injectStyles(el.ownerDocument);
    const root = createRoot(el);
    roots.set(el, root);
    root.render(render());
  };
  return function SliceFinderIsland() {
    return createElement('div', { ref, [ISLAND_ATTRIBUTE]: '', style: { height: '100%' } });
  };
}
