import { useEffect, useState } from 'preact/hooks';
import type { PageInfo } from '../lib/page-info.ts';
import { wasInjected } from '../lib/page-info.ts';

interface HeaderProps {
  info: PageInfo;
  current: string;
}

/** Which Machine answered: from `<body>` (the server wrote it), or `/api/whoami` under `npm run dev`. */
function useServedBy(info: PageInfo): PageInfo {
  const [served, setServed] = useState(info);
  useEffect(() => {
    if (wasInjected(document.body.dataset)) return;
    fetch('/api/whoami')
      .then((res) => (res.ok ? res.json() : null))
      .then((who: { machineId: string | null; region: string | null } | null) => {
        if (who) setServed({ machineId: who.machineId, region: who.region, edgeRegion: null });
      })
      .catch(() => {});
  }, []);
  return served;
}

export function Header({ info, current }: HeaderProps) {
  const served = useServedBy(info);

  return (
    <header class="site-header">
      <a class="brand" href="/">
        <span class="brand-dot" aria-hidden="true" />
        replaycast
      </a>
      <nav aria-label="Main">
        <a href="/" aria-current={current === 'home' ? 'page' : undefined}>
          Live now
        </a>
        <a href="/live" class="nav-cta" aria-current={current === 'live' ? 'page' : undefined}>
          Go live
        </a>
      </nav>
      <p
        class="machine-badge"
        data-testid="machine-badge"
        data-machine={served.machineId ?? ''}
        data-region={served.region ?? ''}
      >
        you are on {served.machineId === null ? 'a local server (not on Fly)' : <code>{served.machineId}</code>}
        {served.region !== null && (
          <>
            {' '}
            in <strong>{served.region}</strong>
          </>
        )}
      </p>
    </header>
  );
}
