export function HomePage() {
  return <h1>Live now</h1>;
}
