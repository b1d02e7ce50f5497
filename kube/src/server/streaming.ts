import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Duplex } from 'node:stream'
import type { ApiError } from '../machinery/errors.js'
import type { RequestUser } from '../machinery/types.js'
import type { Verb } from './router.js'

/**
 * Pod subresources whose answer is a byte stream or a protocol upgrade rather than an object, with the
 * verb they are authorized as. exec, attach and portforward are `create` whatever the method: kubectl
 * sends a WebSocket upgrade as a GET, and a `get` on pods/exec must not open a shell.
 */
export const STREAMING_SUBRESOURCES: Readonly<Record<string, Verb>> = { log: 'get', exec: 'create', attach: 'create', portforward: 'create' }

/** The request a streaming subresource handler serves, already authenticated and authorized. */
export interface StreamingTarget {
  namespace: string
  /** The pod's name. */
  name: string
  subresource: string
  query: URLSearchParams
  user: RequestUser
  /** Aborts when the client goes away or the server stops. */
  signal: AbortSignal
}

/** Serves STREAMING_SUBRESOURCES of core/v1 pods (cloud-core: through the node that runs the pod). */
export interface StreamingSubresources {
  /** A plain HTTP request. Throws an ApiError before the response starts; the server sends it as a Status. */
  serve: (target: StreamingTarget, req: IncomingMessage, res: ServerResponse) => Promise<void>
  /**
   * An HTTP upgrade (WebSocket, SPDY/3.1). Owns `socket` once it resolves or once it has written to it;
   * throws an ApiError only before writing anything (the server then answers with the Status and closes).
   */
  upgrade: (target: StreamingTarget, req: IncomingMessage, socket: Duplex, head: Buffer) => Promise<void>
}

const REASON_TEXT: Record<number, string> = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed', 409: 'Conflict', 500: 'Internal Server Error', 503: 'Service Unavailable' }

/** Answers an upgrade request that is refused with a Status, on the raw socket, and closes it. */
export function writeStatusToSocket (socket: Duplex, err: ApiError): void {
  if (socket.destroyed || !socket.writable) return
  const body = JSON.stringify(err.toStatus())
  socket.end(`HTTP/1.1 ${err.httpStatus} ${REASON_TEXT[err.httpStatus] ?? 'Error'}\r\nContent-Type: application/json\r\nCache-Control: no-cache, private\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`)
}
