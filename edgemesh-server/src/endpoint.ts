import type { Multiaddr } from '@multiformats/multiaddr'
import type { Connection, StreamHandler, StreamHandlerOptions } from '@libp2p/interface'

/** The ip:port of a direct TCP multiaddr (what a NAT mapped), or undefined for relayed/other addrs. */
export function tcpEndpoint (addr: Multiaddr): { ip: string, port: number } | undefined {
  const parts = addr.getComponents()
  const ip = parts[0]
  const tcp = parts[1]
  if (ip === undefined || tcp === undefined || (ip.name !== 'ip4' && ip.name !== 'ip6') || tcp.name !== 'tcp') return undefined
  if (parts.some(p => p.name === 'p2p-circuit')) return undefined
  const port = Number(tcp.value)
  if (ip.value === undefined || !Number.isInteger(port) || port <= 0) return undefined
  return { ip: ip.value, port }
}

/** Drops a trailing /p2p/<id> so the address describes a transport endpoint only. */
export function withoutPeerId (addr: Multiaddr): string {
  return addr.getComponents().filter(c => c.name !== 'p2p').map(c => `/${c.name}${c.value === undefined ? '' : `/${c.value}`}`).join('')
}

/** The slice of libp2p's internal registrar that our protocol services use. */
export interface ProtocolRegistrar {
  handle: (protocol: string, handler: StreamHandler, options?: StreamHandlerOptions) => Promise<void>
  unhandle: (protocol: string) => Promise<void>
}

/** The slice of libp2p's internal connection manager that the coordinator uses. */
export interface ConnectionLister {
  getConnections: () => Connection[]
}
