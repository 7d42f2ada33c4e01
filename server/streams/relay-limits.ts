import type { GopLimits } from './gop-cache.ts';
import type { FlowLimits } from './viewer-policy.ts';

export interface RelayLimits extends FlowLimits, GopLimits {
  maxFrameBytes: number;
  keyframeRequestIntervalMs: number;
  viewerCountIntervalMs: number;
  publishGraceMs: number;
  publishStartTimeoutMs: number;
}
