export function NotFoundPage() {
  return (
    <section class="notice-page" aria-labelledby="nf-title">
      <h1 id="nf-title">Page not found</h1>
      <p>There is nothing at this address.</p>
      <p>
        <a class="button" href="/">
          See who is live
        </a>{' '}
        <a class="button secondary" href="/live">
          Go live
        </a>
      </p>
    </section>
  );
}
