import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeAudioPayload } from '../../shared/audio-packets.ts';
import { CloseCode, encodeFrame, FRAME_HEADER_BYTES, TRACK_AUDIO, TRACK_VIDEO } from '../../shared/protocol.ts';
import { type IntakeState, type IntakeVerdict, judgeFrame } from './frame-intake.ts';

const limits = { maxFrameBytes: 1000, maxAudioFrameBytes: 200 };
const both: IntakeState = { video: true, audio: true };
/** A frame of `bytes` in all, header included; audio ones hold one well-formed packet. */
const frame = (track: number, bytes: number, keyframe = false) =>
  encodeFrame({
    track,
    keyframe,
    timestampUs: 42,
    payload:
      track === TRACK_AUDIO
        ? encodeAudioPayload([{ offsetUs: 0, data: new Uint8Array(bytes - FRAME_HEADER_BYTES - AUDIO_OVERHEAD) }])
        : new Uint8Array(bytes - FRAME_HEADER_BYTES),
  });
/** The packet count and one packet's offset and length. */
const AUDIO_OVERHEAD = 7;
/** An audio frame whose payload is `payload` as given (not necessarily well formed). */
const rawAudio = (...payload: number[]) =>
  encodeFrame({ track: TRACK_AUDIO, keyframe: false, timestampUs: 42, payload: Uint8Array.from(payload) });

/** The verdict without its message text (checked separately), so the table reads as decisions. */
function decide(data: Uint8Array, state: IntakeState): string {
  const v: IntakeVerdict = judgeFrame(data, state, limits);
  switch (v.action) {
    case 'relay':
      return `relay ${v.track}${v.keyframe ? ' key' : ''} @${v.timestampUs}`;
    case 'drop':
      return `drop ${v.code} (${v.warn})`;
    case 'close':
      return `close ${v.code}`;
  }
}

test('judgeFrame: every track, configured or not, at each size limit', () => {
  const table: Array<[string, Uint8Array, IntakeState, string]> = [
    ['video keyframe', frame(TRACK_VIDEO, 100, true), both, 'relay 0 key @42'],
    ['video delta', frame(TRACK_VIDEO, 100), both, 'relay 0 @42'],
    ['video at maxFrameBytes', frame(TRACK_VIDEO, 1000), both, 'relay 0 @42'],
    ['video one byte over', frame(TRACK_VIDEO, 1001), both, `close ${CloseCode.tooBig}`],
    [
      'video before its config',
      frame(TRACK_VIDEO, 100),
      { video: false, audio: true },
      'drop not-configured (video-not-configured)',
    ],
    ['audio', frame(TRACK_AUDIO, 100), both, 'relay 1 @42'],
    ['audio with the keyframe flag: not a keyframe', frame(TRACK_AUDIO, 100, true), both, 'relay 1 @42'],
    ['audio at maxAudioFrameBytes', frame(TRACK_AUDIO, 200), both, 'relay 1 @42'],
    ['audio one byte over', frame(TRACK_AUDIO, 201), both, 'drop too-big (audio-too-big)'],
    ['audio over maxFrameBytes: the socket limit wins', frame(TRACK_AUDIO, 1001), both, `close ${CloseCode.tooBig}`],
    [
      'audio before its config',
      frame(TRACK_AUDIO, 100),
      { video: true, audio: false },
      'drop not-configured (audio-not-configured)',
    ],
    [
      'audio before any config',
      frame(TRACK_AUDIO, 100),
      { video: false, audio: false },
      'drop not-configured (audio-not-configured)',
    ],
    [
      'oversized audio before its config: size first',
      frame(TRACK_AUDIO, 300),
      { video: true, audio: false },
      'drop too-big (audio-too-big)',
    ],
    ['audio without packets', rawAudio(0), both, 'drop bad-message (audio-malformed)'],
    ['audio with a cut-off packet', rawAudio(1, 0, 0, 0, 0, 0, 5, 1, 2), both, 'drop bad-message (audio-malformed)'],
    ['audio with trailing bytes', rawAudio(1, 0, 0, 0, 0, 0, 1, 1, 2), both, 'drop bad-message (audio-malformed)'],
    ['audio with the smallest packet', rawAudio(1, 0, 0, 0, 0, 0, 1, 1), both, 'relay 1 @42'],
    [
      'malformed audio before its config: the config is what is missing',
      rawAudio(0),
      { video: true, audio: false },
      'drop not-configured (audio-not-configured)',
    ],
    ['unknown track 2', frame(2, 100), both, 'drop bad-message (unknown-track-2)'],
    ['unknown track 15', frame(15, 100), both, 'drop bad-message (unknown-track-15)'],
    ['garbage', new Uint8Array([9, 9, 9]), both, `close ${CloseCode.badMessage}`],
    ['reserved flag', Uint8Array.from([2, 0x12, 0, 0, 0, 0, 0, 0, 0, 1, 7]), both, `close ${CloseCode.badMessage}`],
  ];
  for (const [what, data, state, expected] of table) assert.equal(decide(data, state), expected, what);
});

test('judgeFrame: the messages say what was wrong and what happens', () => {
  const text = (data: Uint8Array, state: IntakeState) => {
    const v = judgeFrame(data, state, limits);
    return v.action === 'drop' ? v.message : v.action === 'close' ? v.reason : '';
  };
  assert.match(
    text(frame(TRACK_AUDIO, 201), both),
    /audio frame of 201 bytes is over maxAudioFrameBytes \(200.*dropped/,
  );
  assert.match(
    text(frame(TRACK_AUDIO, FRAME_HEADER_BYTES + AUDIO_OVERHEAD + 1), { video: true, audio: false }),
    /audio-config.*before audio frames/,
  );
  assert.match(text(rawAudio(2, 0, 0, 0, 0, 0, 1, 1), both), /packet 1 of 2 is cut off: dropped/);
  assert.match(text(frame(3, 20), both), /unknown track 3.*0 video and 1 audio.*dropped/);
  assert.match(text(frame(TRACK_VIDEO, 1001), both), /frame over 1000 bytes/);
  assert.match(text(Uint8Array.from([1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]), both), /version 1 \(expected 3\)/);
});
