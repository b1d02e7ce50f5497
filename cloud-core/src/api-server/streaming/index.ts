export { PodSubresources, type PodSubresourcesInit, type PodSubresourcesComponents } from './pod-subresources.js'
export { SpdySession, SpdyStream, SPDY_DEFAULTS, type SpdySessionInit } from './spdy-session.js'
export { StreamingError, ERROR_CATALOGUE as STREAMING_ERROR_CATALOGUE, type StreamingErrorCode } from './errors.js'
