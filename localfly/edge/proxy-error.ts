/**
 * Fly proxy error codes localfly answers with (names from Fly's error-code reference):
 * PR01 no Machine for the route, PR02 no such Machine (forced or replayed to), PA01 body already
 * streamed past the replay buffer, PA02 too many replays, PA03 unparseable fly-replay, PA04 replay
 * to an unknown app, PC01 Machine refused the connection, PU02 request to the Machine failed,
 * PM05 a stopped Machine could not be started.
 */
export type ProxyErrorCode = 'PR01' | 'PR02' | 'PA01' | 'PA02' | 'PA03' | 'PA04' | 'PC01' | 'PU02' | 'PM05';

export interface ProxyError {
  code: ProxyErrorCode;
  message: string;
}

/** No Machine to take the request is "unavailable"; a Machine or app misbehaving is a bad gateway. */
export const PROXY_ERROR_STATUS: Record<ProxyErrorCode, 502 | 503> = {
  PR01: 503,
  PR02: 503,
  PM05: 503,
  PA01: 502,
  PA02: 502,
  PA03: 502,
  PA04: 502,
  PC01: 502,
  PU02: 502,
};

/** The plain-text body of a proxy error; it names the code so a person (or a test) can tell which. */
export function proxyErrorBody(error: ProxyError, requestId: string): string {
  return `localfly proxy error ${error.code}: ${error.message}\nrequest id: ${requestId}\n`;
}
