/** Beside the form before going live (the chat takes its place after). */
export function HowItWorks() {
  return (
    <aside class="panel tips" aria-labelledby="tips-title">
      <h2 id="tips-title">How it works</h2>
      <ol>
        <li>Your browser encodes video with WebCodecs (VP8) and sends it over a WebSocket.</li>
        <li>The Machine that answers your "Go live" becomes the stream's home; only it holds the stream.</li>
        <li>
          Viewers anywhere get a link with <code>?instance=</code>: Fly's proxy replays them to that Machine.
        </li>
      </ol>
    </aside>
  );
}
