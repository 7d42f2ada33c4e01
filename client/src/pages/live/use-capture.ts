import { useEffect, useRef, useState } from 'preact/hooks';
import { Capture, cameraProblem, type SourceKind } from './capture.ts';

/**
 * The preview canvas and what it shows: the camera when the browser offers one and permission is
 * given, else the test pattern (with a note saying why). `label` is drawn on the test pattern.
 */
export function useCapture(canvas: { current: HTMLCanvasElement | null }, label: string) {
  const capture = useRef<Capture | null>(null);
  const [source, setSource] = useState<SourceKind>('pattern');
  const [cameraNote, setCameraNote] = useState<string | null>(null);

  const choose = async (kind: SourceKind) => {
    const cap = capture.current;
    if (cap === null) return;
    if (kind === 'pattern') {
      cap.usePattern();
      setSource('pattern');
      return;
    }
    try {
      await cap.useCamera();
      setSource('camera');
      setCameraNote(null);
    } catch (err) {
      cap.usePattern();
      setSource('pattern');
      setCameraNote(`Using the test pattern: ${cameraProblem(err)}.`);
    }
  };

  useEffect(() => {
    const cap = new Capture(canvas.current!);
    capture.current = cap;
    if (Capture.cameraAvailable()) void choose('camera');
    else
      setCameraNote('Using the test pattern: this browser offers no camera access here (it needs https or localhost).');
    return () => cap.stop();
  }, []);

  useEffect(() => {
    if (capture.current) capture.current.label = label;
  }, [label]);

  return { capture, source, cameraNote, choose };
}
