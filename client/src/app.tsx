import { Header } from './components/header.tsx';
import { readPageInfo } from './lib/page-info.ts';
import { routeFor } from './lib/route.ts';
import { HomePage } from './pages/home/index.tsx';
import { LivePage } from './pages/live/index.tsx';
import { NotFoundPage } from './pages/not-found.tsx';
import { WatchPage } from './pages/watch/index.tsx';

const TITLES: Record<string, string> = {
  home: 'Live now - replaycast',
  watch: 'Watching - replaycast',
  live: 'Go live - replaycast',
  'not-found': 'Page not found - replaycast',
};

export function App() {
  const route = routeFor(location.pathname);
  const info = readPageInfo(document.body.dataset);
  document.title = TITLES[route.page] ?? 'replaycast';
  return (
    <>
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <Header info={info} current={route.page} />
      <main id="main" tabIndex={-1}>
        {route.page === 'home' && <HomePage />}
        {route.page === 'watch' && <WatchPage streamId={route.streamId} info={info} />}
        {route.page === 'live' && <LivePage info={info} />}
        {route.page === 'not-found' && <NotFoundPage />}
      </main>
    </>
  );
}
