import { connect, createServer } from 'node:net'
import { AbortError, componentLogger, silentLogger, sleep } from '@edgemesh/common'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { NatError } from './errors.js'
import { upgradeSocket } from './upgrade.js'
import type { UpgradeComponents } from './upgrade.js'
import type { Logger } from '@edgemesh/common'
import type { Connection, PeerId } from '@libp2p/interface'
import type { Socket } from 'node:net'

export interface ServerLinksInit {
  /** edgemesh-server multiaddrs, each with `/p2p/<id>`, e.g. `/ip4/203.0.113.10/tcp/20004/p2p/12D3...`. */
  servers: string[]
  /**
   * Fixed local port for every server link and every punch; 0 picks a free port once at start. Must
   * differ from the libp2p TCP listen port (a listening socket blocks SO_REUSEADDR binds). @default 0
   */
  localPort?: number
  /** @default any */
  localAddress?: string
  /** @default 10_000 */
  connectTimeoutMs?: number
  /** Reconnect backoff bounds (jittered, doubling). @default 500 */
  reconnectMinMs?: number
  /** @default 15_000 */
  reconnectMaxMs?: number
  /** @default silent */
  logger?: Logger
}

/** A live libp2p connection to one server, dialled from our fixed port (so the server sees our NAT mapping for it). */
export interface ServerLink {
  server: PeerId
  connection: Connection
  /** Our side of the socket; punches bind exactly this. */
  localAddress: string
  localPort: number
}

interface Target { peer: PeerId, host: string, port: number }

/**
 * Keeps one fixed-source-port connection to every configured edgemesh-server and redials with
 * backoff when it drops (server restart, network loss). Emits `link:up` / `link:down`.
 */
export class ServerLinks extends EventTarget {
  private readonly targets: Target[]
  private readonly log: Logger
  private readonly live = new Map<string, ServerLink>()
  private controller?: AbortController
  private loops: Array<Promise<void>> = []
  private port = 0

  constructor (private readonly components: UpgradeComponents, private readonly init: ServerLinksInit) {
    super()
    this.targets = init.servers.map(parseServer)
    this.log = componentLogger(init.logger ?? silentLogger(), 'nat-server-link')
  }

  get localPort (): number { return this.port }

  links (): ServerLink[] {
    return [...this.live.values()].filter(l => l.connection.status === 'open')
  }

  async start (): Promise<void> {
    if (this.controller !== undefined) return
    this.port = (this.init.localPort ?? 0) > 0 ? (this.init.localPort ?? 0) : await freePort()
    const controller = this.controller = new AbortController()
    this.loops = this.targets.map(async t => { await this.keep(t, controller.signal) })
  }

  async stop (): Promise<void> {
    const c = this.controller
    if (c === undefined) return
    this.controller = undefined
    c.abort()
    await Promise.allSettled(this.loops)
    for (const l of this.live.values()) await l.connection.close().catch(() => {})
    this.live.clear()
  }

  /** Resolves when at least one link is up. */
  async waitForLink (signal?: AbortSignal): Promise<ServerLink> {
    for (;;) {
      const l = this.links()[0]
      if (l !== undefined) return l
      await sleep(50, signal)
    }
  }

  private async keep (t: Target, signal: AbortSignal): Promise<void> {
    let backoff = this.init.reconnectMinMs ?? 500
    const max = this.init.reconnectMaxMs ?? 15_000
    while (!signal.aborted) {
      try {
        const link = await this.dial(t, signal)
        backoff = this.init.reconnectMinMs ?? 500
        this.live.set(t.peer.toString(), link)
        this.log.info({ server: t.peer.toString(), localPort: link.localPort }, 'server link up')
        this.dispatchEvent(new CustomEvent('link:up', { detail: link }))
        await closed(link.connection, signal)
        this.live.delete(t.peer.toString())
        if (signal.aborted) return
        this.log.warn({ server: t.peer.toString() }, 'server link down')
        this.dispatchEvent(new CustomEvent('link:down', { detail: link }))
      } catch (err) {
        if (signal.aborted) return
        this.log.debug({ err, server: t.peer.toString() }, 'server link dial failed')
      }
      try { await sleep(backoff / 2 + Math.random() * backoff / 2, signal) } catch { return }
      backoff = Math.min(max, backoff * 2)
    }
  }

  private async dial (t: Target, parent: AbortSignal): Promise<ServerLink> {
    const signal = AbortSignal.any([parent, AbortSignal.timeout(this.init.connectTimeoutMs ?? 10_000)])
    const socket = await connectFrom(t.host, t.port, this.port, this.init.localAddress, signal)
    const localAddress = socket.localAddress ?? '0.0.0.0'
    const connection = await upgradeSocket(this.components, socket, t.peer, true, signal, this.log)
    return { server: t.peer, connection, localAddress, localPort: this.port }
  }
}

function parseServer (addr: string): Target {
  const parts = multiaddr(addr).getComponents()
  const ip = parts[0]
  const tcp = parts[1]
  const p2p = parts.find(p => p.name === 'p2p')
  if (ip === undefined || (ip.name !== 'ip4' && ip.name !== 'ip6') || tcp?.name !== 'tcp' || p2p?.value === undefined || ip.value === undefined) {
    throw new NatError('RENDEZVOUS_UNAVAILABLE', `server address "${addr}" must look like /ip4/<ip>/tcp/<port>/p2p/<peer id>`)
  }
  return { peer: peerIdFromString(p2p.value), host: ip.value, port: Number(tcp.value) }
}

async function connectFrom (host: string, port: number, localPort: number, localAddress: string | undefined, signal: AbortSignal): Promise<Socket> {
  if (signal.aborted) throw new AbortError()
  return await new Promise<Socket>((resolve, reject) => {
    const socket = connect({ host, port, localPort, localAddress })
    const onAbort = (): void => { socket.destroy(); reject(new AbortError()) }
    socket.once('connect', () => { signal.removeEventListener('abort', onAbort); resolve(socket) })
    socket.once('error', err => { signal.removeEventListener('abort', onAbort); socket.destroy(); reject(err) })
    signal.addEventListener('abort', onAbort, { once: true })
  })
}

async function closed (connection: Connection, signal: AbortSignal): Promise<void> {
  if (connection.status !== 'open' || signal.aborted) return
  await new Promise<void>(resolve => {
    const done = (): void => {
      connection.removeEventListener('close', done)
      signal.removeEventListener('abort', done)
      clearInterval(poll)
      resolve()
    }
    // The close event covers clean and aborted ends; the poll is a belt for status changes without one.
    const poll = setInterval(() => { if (connection.status !== 'open') done() }, 1_000)
    connection.addEventListener('close', done)
    signal.addEventListener('abort', done, { once: true })
  })
}

async function freePort (): Promise<number> {
  return await new Promise<number>((resolve, reject) => {
    const srv = createServer()
    srv.once('error', reject)
    srv.listen(0, () => {
      const a = srv.address()
      const port = typeof a === 'object' && a !== null ? a.port : 0
      srv.close(() => { resolve(port) })
    })
  })
}
