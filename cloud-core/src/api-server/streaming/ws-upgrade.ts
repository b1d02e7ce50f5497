import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import { WebSocketServer, type WebSocket } from 'ws'

/** Subprotocols offered in `Sec-WebSocket-Protocol`, in the client's order. */
export function offeredProtocols (req: IncomingMessage): string[] {
  const raw = req.headers['sec-websocket-protocol']
  return (Array.isArray(raw) ? raw.join(',') : raw ?? '').split(',').map(s => s.trim()).filter(s => s !== '')
}

export function isWebSocketUpgrade (req: IncomingMessage): boolean {
  return (req.headers.upgrade ?? '').toLowerCase() === 'websocket'
}

/**
 * WebSocket handshakes for the streaming subresources. The subprotocol is chosen by the caller and set
 * on the 101 here: `ws` answers 400 to `SPDY/3.1+portforward.k8s.io` ("/" is no token character) and
 * kubectl then silently falls back to SPDY, so the header is taken off the request before `ws` sees it.
 */
export class WebSocketUpgrader {
  private readonly wss: WebSocketServer
  private readonly chosen = new WeakMap<IncomingMessage, string>()

  constructor (maxPayload: number) {
    this.wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload, clientTracking: false })
    this.wss.on('headers', (headers: string[], req: IncomingMessage) => {
      const p = this.chosen.get(req)
      if (p !== undefined) headers.push(`Sec-WebSocket-Protocol: ${p}`)
    })
  }

  async accept (req: IncomingMessage, socket: Duplex, head: Buffer, protocol: string): Promise<WebSocket> {
    this.chosen.set(req, protocol)
    delete req.headers['sec-websocket-protocol']
    return await new Promise<WebSocket>((resolve, reject) => {
      const onClose = (): void => { reject(new Error('the connection closed during the WebSocket handshake')) }
      socket.once('close', onClose)
      this.wss.handleUpgrade(req, socket, head, ws => { socket.off('close', onClose); resolve(ws) })
    })
  }
}
