import type { GopLimits } from './gop-cache.ts';
import type { RefusalLimits } from './refusals.ts';
import type { FlowLimits } from './viewer-policy.ts';

export interface RelayLimits extends FlowLimits, GopLimits, RefusalLimits {
  maxFrameBytes: number;
  /** Audio frames over this (header included) are dropped with an error; the socket stays open. */
  maxAudioFrameBytes: number;
  keyframeRequestIntervalMs: number;
  viewerCountIntervalMs: number;
  publishGraceMs: number;
  publishStartTimeoutMs: number;
}
