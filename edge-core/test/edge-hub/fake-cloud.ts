import { createServer, type Server } from 'node:https'
import type { AddressInfo } from 'node:net'
import type { TLSSocket } from 'node:tls'
import { createAck, decodeMessage, encodeMessage, type HubMessage } from '@edgemesh/common/hub-protocol'
import type { KeyAndCert } from '@edgemesh/common'
import { WebSocketServer, type WebSocket } from 'ws'

/**
 * A stand-in cloud-hub for edge-hub tests: TLS with required client certs, records frames, optional auto-ack.
 * It sends nothing unprompted; with `autoPong: false` it also answers no ping, so an edge with a short
 * deadMs sees it as a half-open link.
 */
export class FakeCloud {
  readonly received: HubMessage[] = []
  readonly sockets: WebSocket[] = []
  connections = 0
  /** Keepalive envelopes received (an edge that pings sends none). */
  keepalives = 0
  /** Binary messages (pod-stream frames) from the edge, raw. */
  readonly binary: Buffer[] = []
  /** Serial numbers of the client certificates, per connection. */
  readonly clientSerials: string[] = []
  /** Ack upstream messages automatically. */
  autoAck = true
  /** Drop this many upstream messages before acking (lost acks). */
  dropFirst = 0
  private server?: Server
  private wss?: WebSocketServer

  /** Answer WebSocket pings (a live peer does; a hung or half-open one does not). */
  constructor (private readonly tls: { serving: KeyAndCert, caPem: string }, private readonly opts: { autoPong?: boolean } = {}) {}

  get port (): number { return (this.server?.address() as AddressInfo).port }
  get url (): string { return `wss://127.0.0.1:${this.port}` }
  get current (): WebSocket | undefined { return this.sockets.at(-1) }

  async start (port = 0): Promise<void> {
    const server = createServer({ cert: this.tls.serving.certPem, key: this.tls.serving.keyPem, ca: this.tls.caPem, requestCert: true, rejectUnauthorized: true })
    const wss = new WebSocketServer({ server, autoPong: this.opts.autoPong ?? true })
    wss.on('connection', (ws, req) => {
      this.connections++
      this.clientSerials.push((req.socket as TLSSocket).getPeerCertificate().serialNumber.toLowerCase())
      this.sockets.push(ws)
      ws.on('message', (data, isBinary) => {
        if (isBinary) { this.binary.push(data as Buffer); return }
        const m = decodeMessage(data as Buffer)
        if (m.route.operation === 'keepalive') { this.keepalives++; return }
        this.received.push(m)
        if (m.route.operation !== 'response' && this.autoAck) {
          if (this.dropFirst > 0) { this.dropFirst--; return }
          ws.send(encodeMessage(createAck(m, 'cloudhub')))
        }
      })
    })
    await new Promise<void>(resolve => server.listen(port, '127.0.0.1', () => resolve()))
    this.server = server
    this.wss = wss
  }

  send (msg: HubMessage): void { this.current?.send(encodeMessage(msg)) }

  /** Sends one binary message (a pod-stream frame) to the edge. */
  sendBinary (frame: Buffer): void { this.current?.send(frame) }

  acks (): HubMessage[] { return this.received.filter(m => m.route.operation === 'response') }

  async stop (): Promise<void> {
    for (const s of this.sockets) s.terminate()
    this.wss?.close()
    await new Promise<void>(resolve => { if (this.server === undefined) resolve(); else { this.server.close(() => resolve()); this.server.closeAllConnections() } })
    this.server = undefined
  }
}
