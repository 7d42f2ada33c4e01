import { useState } from 'preact/hooks';
import { shareUrl } from '../../lib/publish-logic.ts';

/** How long the button says "Copied". */
const COPIED_NOTICE_MS = 2000;

/** The link viewers follow (with `?instance=`, so it routes straight to the home Machine). */
export function ShareLink({ watchUrl }: { watchUrl: string }) {
  const [copied, setCopied] = useState(false);
  const link = shareUrl(location.origin, watchUrl);

  const copy = async () => {
    try {
      await navigator.clipboard.writeText(link);
      setCopied(true);
      setTimeout(() => setCopied(false), COPIED_NOTICE_MS);
    } catch {
      // No clipboard access: select the text so the usual copy shortcut works.
      (document.getElementById('share-link') as HTMLInputElement | null)?.select();
    }
  };

  return (
    <div class="field">
      <label for="share-link">Share link</label>
      <div class="share">
        <input
          id="share-link"
          type="text"
          readOnly
          value={link}
          data-testid="share-link"
          onFocus={(e) => e.currentTarget.select()}
        />
        <button type="button" class="secondary" onClick={() => void copy()}>
          {copied ? 'Copied' : 'Copy'}
        </button>
        <a class="button secondary" href={watchUrl} target="_blank" rel="noopener">
          Open
        </a>
      </div>
    </div>
  );
}
