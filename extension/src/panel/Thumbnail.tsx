/** A result's slice preview, rendered from the host's decoded image; the slice number where that fails. */
import { useEffect, useState } from 'react';
import { thumbnailDataUrl } from '../viewer/thumbnail';
import type { ViewerFacade } from '../viewer/facade';

const SIZE = 56;
const cache = new Map<string, string>();

export function Thumbnail({ viewer, imageId, fallback }: { viewer: ViewerFacade; imageId: string; fallback: string }) {
  const [url, setUrl] = useState<string | undefined>(() => cache.get(imageId));
  useEffect(() => {
    if (cache.has(imageId)) {
      setUrl(cache.get(imageId));
      return;
    }
    let live = true;
    viewer
      .getImage(imageId)
      .then((image) => {
        const made = image ? thumbnailDataUrl(image, SIZE) : undefined;
        if (made) cache.set(imageId, made);
        if (live) setUrl(made);
      })
      .catch(() => undefined);
    return () => {
      live = false;
    };
  }, [viewer, imageId]);
  return (
    <div className="sf-thumb" aria-hidden="true">
      {url ? <img src={url} alt="" /> : <span>{fallback}</span>}
    </div>
  );
}
