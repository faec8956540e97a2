/**
 * A lesion's preview: its best slice cropped around its box, from the host's decoded image (so each row
 * shows its own lesion, not the same whole slice); its slice number where no image is at hand.
 */
import { useEffect, useState } from 'react';
import { cropAround, thumbnailDataUrl, type Crop } from '../viewer/thumbnail';
import type { ViewerFacade } from '../viewer/facade';

const SIZE = 64;
const cache = new Map<string, string>();

export function Thumbnail({ viewer, imageId, box, fallback }: { viewer: ViewerFacade; imageId: string; box?: Crop; fallback: string }) {
  const key = `${imageId}|${box ? `${box.x},${box.y},${box.w},${box.h}` : ''}`;
  const [url, setUrl] = useState<string | undefined>(() => cache.get(key));
  useEffect(() => {
    if (cache.has(key)) {
      setUrl(cache.get(key));
      return;
    }
    let live = true;
    viewer
      .getImage(imageId)
      .then((image) => {
        const made = image ? thumbnailDataUrl(image, SIZE, box ? cropAround(box, image) : undefined) : undefined;
        if (made) cache.set(key, made);
        if (live) setUrl(made);
      })
      .catch(() => undefined);
    return () => {
      live = false;
    };
    // `box` is part of `key`.
  }, [viewer, imageId, key]);
  return (
    <div className="sf-thumb" aria-hidden="true">
      {url ? <img src={url} alt="" /> : <span>{fallback}</span>}
    </div>
  );
}
