import { decodeAudioPayload } from '../../shared/audio-packets.ts';
import { CloseCode, decodeFrame, type ErrorCode, TRACK_AUDIO, TRACK_VIDEO, trackName } from '../../shared/protocol.ts';

export interface IntakeLimits {
  /** Any frame over this (header included) closes the publisher with 1009. */
  maxFrameBytes: number;
  /** An audio frame over this (header included) is dropped with a `too-big` error. */
  maxAudioFrameBytes: number;
}

/** What this publisher connection has configured so far. */
export interface IntakeState {
  video: boolean;
  audio: boolean;
}

/**
 * `warn` identifies the kind of problem, so a session says it once per connection rather than once
 * per frame (a misbehaving sender at 50 frames a second would otherwise flood its own socket).
 */
export type IntakeVerdict =
  | { action: 'relay'; track: number; keyframe: boolean; timestampUs: number }
  | { action: 'drop'; warn: string; code: ErrorCode; message: string }
  | { action: 'close'; code: number; reason: string };

/**
 * What to do with one binary message from a publisher. Broken framing and frames over the socket-wide
 * limit close the connection as before; an audio problem (no audio config yet, an oversized frame) and
 * an audio frame whose packets are malformed, and a track this version does not know drop just that
 * frame with an error, so the picture goes on.
 * The keyframe flag means something on video only: an audio frame never restarts a group of pictures.
 */
export function judgeFrame(data: Uint8Array, state: IntakeState, limits: IntakeLimits): IntakeVerdict {
  if (data.byteLength > limits.maxFrameBytes) {
    return { action: 'close', code: CloseCode.tooBig, reason: `frame over ${limits.maxFrameBytes} bytes` };
  }
  const frame = decodeFrame(data);
  if (!frame.ok) return { action: 'close', code: CloseCode.badMessage, reason: frame.error.slice(0, 120) };
  const { track, keyframe, timestampUs } = frame.value;
  switch (track) {
    case TRACK_VIDEO:
      if (!state.video) {
        return {
          action: 'drop',
          warn: 'video-not-configured',
          code: 'not-configured',
          message: 'send a config message before frames; frames are dropped until then',
        };
      }
      return { action: 'relay', track, keyframe, timestampUs };
    case TRACK_AUDIO:
      if (data.byteLength > limits.maxAudioFrameBytes) {
        return {
          action: 'drop',
          warn: 'audio-too-big',
          code: 'too-big',
          message: `audio frame of ${data.byteLength} bytes is over maxAudioFrameBytes (${limits.maxAudioFrameBytes}, header included): dropped`,
        };
      }
      if (!state.audio) {
        return {
          action: 'drop',
          warn: 'audio-not-configured',
          code: 'not-configured',
          message: 'send an audio-config message before audio frames; audio frames are dropped until then',
        };
      }
      {
        // Checked here so every viewer can trust the packet layout (the Opus bytes themselves are the decoder's).
        const packets = decodeAudioPayload(frame.value.payload);
        if (!packets.ok) {
          return { action: 'drop', warn: 'audio-malformed', code: 'bad-message', message: `${packets.error}: dropped` };
        }
      }
      return { action: 'relay', track, keyframe: false, timestampUs };
    default:
      return {
        action: 'drop',
        warn: `unknown-track-${track}`,
        code: 'bad-message',
        message: `unknown ${trackName(track)} (this server knows 0 video and 1 audio): frame dropped`,
      };
  }
}
