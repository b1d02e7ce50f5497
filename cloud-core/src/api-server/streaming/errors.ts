import { CodedError } from '@edgemesh/common'

// A streaming connection's protocol failures are per-connection events: each closes that connection
// and is logged with one of these codes (the client sees the connection end).
export const ERROR_CATALOGUE = {
  STREAM_SPDY_FRAME_TOO_LARGE: 'A SPDY frame was longer than the session allows (`maxFrameBytes`); the session was closed.',
  STREAM_SPDY_HEADERS_TOO_LARGE: 'A SPDY header block inflated to more than `maxHeaderBytes`, or named more headers than allowed; the session was closed.',
  STREAM_SPDY_TOO_MANY_STREAMS: 'A SPDY client opened more concurrent streams than `maxStreams`; the session was closed.',
  STREAM_SPDY_PROTOCOL: 'A SPDY frame was malformed: wrong version, a bad or reused stream id, a short control frame, a corrupt header block; the session was closed.',
  STREAM_SETUP_TIMEOUT: 'A SPDY exec/attach client did not open the streams its request announced in time; the connection was closed.'
} as const satisfies Record<string, string>

export type StreamingErrorCode = keyof typeof ERROR_CATALOGUE

export class StreamingError extends CodedError<StreamingErrorCode> {}
