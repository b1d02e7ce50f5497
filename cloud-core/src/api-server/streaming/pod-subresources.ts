import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Duplex } from 'node:stream'
import { createWebSocketStream } from 'ws'
import { podStreamRequestSchema, type Logger, type PodStream, type PodStreamOpener, type PodStreamRequest } from '@edgemesh/common'
import { ApiError, badRequest } from '@edgemesh/kube/machinery'
import type { DefaultResourceRegistry, ResourceBackend, StreamingSubresources, StreamingTarget } from '@edgemesh/kube/server'
import { execOverSpdy, execOverWebSocket, execRequest, SPDY_EXEC_PROTOCOLS, WS_EXEC_PROTOCOLS } from './exec.js'
import { logRequest, serveLogs } from './logs.js'
import { podStreamApiError, resolvePodTarget, type PodTarget } from './pod-target.js'
import { portForwardOverSpdy } from './port-forward.js'
import { SpdySession, type SpdySessionInit } from './spdy-session.js'
import { isWebSocketUpgrade, offeredProtocols, WebSocketUpgrader } from './ws-upgrade.js'

/** port-forward's protocol: over a plain SPDY upgrade, and as the WebSocket subprotocol of kubectl 1.31+ (SPDY inside). */
const PORT_FORWARD_SPDY = 'portforward.k8s.io'
const PORT_FORWARD_WS = 'SPDY/3.1+portforward.k8s.io'

export interface PodSubresourcesInit {
  spdy?: SpdySessionInit
  /** How long a SPDY exec client may take to open the streams it announced. @default 30_000 */
  setupTimeoutMs?: number
  /** Largest WebSocket message accepted. @default 4 MiB */
  maxMessageBytes?: number
}

export interface PodSubresourcesComponents {
  storage: ResourceBackend
  registry: DefaultResourceRegistry
  logger: Logger
  /** The way to the node that runs a pod; without it every request is 503. */
  podStreams?: PodStreamOpener
}

/**
 * pods/log, exec, attach and portforward for real kubectl: checks the pod like kube-apiserver, opens a
 * pod stream to its node through the PodStreamOpener, and speaks kubectl's protocol on the client
 * side (a chunked text body, WebSocket channels, SPDY/3.1 streams).
 */
export class PodSubresources implements StreamingSubresources {
  private readonly c: PodSubresourcesComponents
  private readonly log: Logger
  private readonly spdy: SpdySessionInit
  private readonly setupTimeoutMs: number
  private readonly ws: WebSocketUpgrader

  constructor (components: PodSubresourcesComponents, init: PodSubresourcesInit = {}) {
    this.c = components
    this.log = components.logger.child({ component: 'pod-streams' })
    this.spdy = init.spdy ?? {}
    this.setupTimeoutMs = init.setupTimeoutMs ?? 30_000
    this.ws = new WebSocketUpgrader(init.maxMessageBytes ?? 4 * 1024 * 1024)
  }

  async serve (t: StreamingTarget, _req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (t.subresource !== 'log') throw badRequest('Upgrade request required')
    const request = logRequest(t.query)
    const target = await resolvePodTarget(this.c.storage, this.c.registry, t)
    const pod = await this.open(target, t, request, t.signal)
    await serveLogs(res, pod)
  }

  async upgrade (t: StreamingTarget, req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    if (t.subresource === 'log') throw badRequest('pods/log does not support a connection upgrade')
    const ws = isWebSocketUpgrade(req)
    if (!ws && (req.headers.upgrade ?? '').toLowerCase() !== 'spdy/3.1') throw badRequest(`unsupported upgrade "${req.headers.upgrade ?? ''}"; expected websocket or SPDY/3.1`)
    const target = await resolvePodTarget(this.c.storage, this.c.registry, t)
    if (t.subresource === 'portforward') {
      await this.portForward(t, target, req, socket, head, ws)
      return
    }
    const kind = t.subresource === 'attach' ? 'attach' : 'exec'
    const request = execRequest(kind, t.query)
    if (kind === 'exec' && (request.command?.length ?? 0) === 0) throw badRequest('you must specify at least 1 command')
    if (request.stdin !== true && request.stdout !== true && request.stderr !== true) throw badRequest('you must specify at least one of stdin, stdout, stderr')
    const protocol = ws ? pick(offeredProtocols(req), WS_EXEC_PROTOCOLS) : pick(spdyOffers(req), SPDY_EXEC_PROTOCOLS)
    if (protocol === undefined) throw badRequest(`unable to upgrade: no common stream protocol; the server accepts ${(ws ? WS_EXEC_PROTOCOLS : SPDY_EXEC_PROTOCOLS).join(', ')}`)
    // The node stream opens before the 101 so that a refusal still reaches kubectl as an HTTP status.
    const pod = await this.open(target, t, request, t.signal)
    if (ws) {
      let sock
      try { sock = await this.ws.accept(req, socket, head, protocol) } catch { pod.abort('the handshake failed'); return }
      await execOverWebSocket(sock, protocol, pod, this.log)
      return
    }
    const session = this.spdySession(socket, head, protocol)
    await execOverSpdy(session, request, pod, this.log, this.setupTimeoutMs)
  }

  private async portForward (t: StreamingTarget, target: PodTarget, req: IncomingMessage, socket: Duplex, head: Buffer, ws: boolean): Promise<void> {
    if (this.c.podStreams === undefined) throw unavailable(target.nodeName)
    const offers = ws ? offeredProtocols(req) : spdyOffers(req)
    const wanted = ws ? PORT_FORWARD_WS : PORT_FORWARD_SPDY
    if (!offers.includes(wanted)) throw badRequest(`unable to upgrade: the server accepts only ${wanted} for port forwarding`)
    const open = async (port: number, signal: AbortSignal): Promise<PodStream> => {
      const both = AbortSignal.any([signal, t.signal])
      try {
        return await this.openRaw(target, t, { kind: 'portforward', port }, both)
      } catch (err) {
        const e = podStreamApiError(err, target.nodeName)
        throw new Error(e instanceof Error ? e.message : String(e), { cause: err })
      }
    }
    let session: SpdySession
    if (ws) {
      let sock
      try { sock = await this.ws.accept(req, socket, head, wanted) } catch { return }
      const duplex = createWebSocketStream(sock)
      duplex.on('error', () => {})
      session = new SpdySession(duplex, { logger: this.log }, this.spdy)
    } else {
      session = this.spdySession(socket, head, wanted)
    }
    await portForwardOverSpdy(session, target.pod.metadata.name ?? t.name, target.uid, open, this.log)
  }

  private spdySession (socket: Duplex, head: Buffer, protocol: string): SpdySession {
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: ${protocol}\r\n\r\n`)
    return new SpdySession(socket, { logger: this.log }, this.spdy, head.length > 0 ? head : undefined)
  }

  private async open (target: PodTarget, t: StreamingTarget, req: Omit<PodStreamRequest, 'namespace' | 'pod'>, signal: AbortSignal): Promise<PodStream> {
    try {
      return await this.openRaw(target, t, req, signal)
    } catch (err) {
      throw podStreamApiError(err, target.nodeName)
    }
  }

  private async openRaw (target: PodTarget, t: StreamingTarget, req: Omit<PodStreamRequest, 'namespace' | 'pod'>, signal: AbortSignal): Promise<PodStream> {
    const opener = this.c.podStreams
    if (opener === undefined) throw unavailable(target.nodeName)
    const parsed = podStreamRequestSchema.safeParse({
      ...req,
      namespace: t.namespace,
      pod: t.name,
      ...(target.uid !== undefined ? { uid: target.uid } : {}),
      ...(target.container !== undefined && req.kind !== 'portforward' ? { container: target.container } : {})
    })
    if (!parsed.success) throw badRequest(`invalid ${req.kind} request: ${parsed.error.issues.map(i => `${i.path.join('.')}: ${i.message}`).join('; ')}`)
    return await opener.open(target.nodeName, parsed.data, signal)
  }
}

function unavailable (nodeName: string): ApiError {
  return new ApiError('ServiceUnavailable', `error dialing backend: node "${nodeName}" is not connected`)
}

/** `X-Stream-Protocol-Version`, one header per offer (or a comma-joined one). */
function spdyOffers (req: IncomingMessage): string[] {
  const raw = req.headersDistinct['x-stream-protocol-version'] ?? []
  return raw.flatMap(v => v.split(',')).map(s => s.trim()).filter(s => s !== '')
}

function pick (offered: string[], accepted: readonly string[]): string | undefined {
  return accepted.find(p => offered.includes(p))
}
