import { multiaddr } from '@multiformats/multiaddr'
import { PunchedSocketConnection } from './punched-socket-connection.js'
import { AbortError, type Logger } from '@edgemesh/common'
import type { ComponentLogger, Connection, Libp2pEvents, PeerId, TypedEventTarget, Upgrader } from '@libp2p/interface'
import type { Socket } from 'node:net'

/** The slice of libp2p's components needed to turn a raw socket into a libp2p connection. */
export interface UpgradeComponents {
  peerId: PeerId
  upgrader: Upgrader
  events: TypedEventTarget<Libp2pEvents>
  logger: ComponentLogger
}

/**
 * Noise needs exactly one initiator. For a punched socket both ends called connect(), so TCP gives
 * no hint; we pick the peer whose id string sorts first as the Noise initiator ("outbound").
 */
export function isPunchInitiator (self: PeerId, remote: PeerId | string): boolean {
  return self.toString() < remote.toString()
}

/** Encrypts and multiplexes a connected socket. `initiator` false goes through the inbound path (gater, limits). */
export async function upgradeSocket (components: UpgradeComponents, socket: Socket, remotePeer: PeerId, initiator: boolean, signal: AbortSignal, log?: Logger): Promise<Connection> {
  const host = socket.remoteAddress ?? '0.0.0.0'
  const proto = socket.remoteFamily === 'IPv6' ? 'ip6' : 'ip4'
  const maConn = new PunchedSocketConnection({
    socket,
    direction: initiator ? 'outbound' : 'inbound',
    remoteAddr: multiaddr(`/${proto}/${host}/tcp/${socket.remotePort ?? 0}/p2p/${remotePeer.toString()}`),
    log: components.logger.forComponent('edgemesh:nat:socket')
  })
  try {
    if (initiator) return await components.upgrader.upgradeOutbound(maConn, { signal })
    const opened = connectionOpened(components.events, maConn, signal)
    opened.catch(() => {})
    await components.upgrader.upgradeInbound(maConn, { signal })
    return await opened
  } catch (err) {
    log?.debug({ err }, 'socket upgrade failed')
    if (!socket.destroyed) socket.destroy()
    throw err
  }
}

/**
 * Resolves with the `connection:open` of the connection built on `maConn` (upgradeInbound itself
 * returns nothing). Matching on the peer alone could take a relayed or dialled connection to the same
 * peer that opened meanwhile; libp2p's Connection shares its MultiaddrConnection's `timeline` object,
 * which identifies ours unambiguously.
 */
async function connectionOpened (events: TypedEventTarget<Libp2pEvents>, maConn: PunchedSocketConnection, signal: AbortSignal): Promise<Connection> {
  return await new Promise<Connection>((resolve, reject) => {
    const onOpen = (evt: CustomEvent<Connection>): void => {
      if (evt.detail.timeline !== maConn.timeline) return
      cleanup()
      resolve(evt.detail)
    }
    const onAbort = (): void => { cleanup(); reject(signal.reason ?? new AbortError()) }
    const cleanup = (): void => {
      events.removeEventListener('connection:open', onOpen)
      signal.removeEventListener('abort', onAbort)
    }
    events.addEventListener('connection:open', onOpen)
    signal.addEventListener('abort', onAbort, { once: true })
  })
}
