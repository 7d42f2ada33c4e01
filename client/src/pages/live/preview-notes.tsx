/** Under the preview: why the camera is not used, and whether this browser can go live at all. */
export function PreviewNotes({ cameraNote, encoderOk }: { cameraNote: string | null; encoderOk: boolean | null }) {
  return (
    <>
      {cameraNote && (
        <p class="notice" role="status" data-testid="camera-note">
          {cameraNote}
        </p>
      )}
      {encoderOk === false && (
        <p class="notice error" role="alert" data-testid="encoder-missing">
          This browser cannot encode video (WebCodecs VideoEncoder with VP8 is missing), so it cannot go live. Use a
          recent Chrome or Edge over https or localhost. You can still watch streams.
        </p>
      )}
    </>
  );
}
