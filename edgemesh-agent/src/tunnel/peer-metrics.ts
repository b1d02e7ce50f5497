import type { MetricsRegistry } from '@edgemesh/common'
import type { PeerMetrics } from './types.js'

/**
 * Per-peer tunnel series on the process's metrics registry, sampled from `source` at every scrape:
 * bytes in/out, open streams, last RTT and the path in use (1 for the active one). Returns the
 * function that stops sampling.
 */
export function registerPeerMetrics (registry: MetricsRegistry, source: () => PeerMetrics[]): () => void {
  const bytesIn = registry.counter('edgemesh_tunnel_peer_bytes_in_total', { help: 'Bytes received from the peer through tunnel streams.', labelNames: ['node'] })
  const bytesOut = registry.counter('edgemesh_tunnel_peer_bytes_out_total', { help: 'Bytes sent to the peer through tunnel streams.', labelNames: ['node'] })
  const streams = registry.gauge('edgemesh_tunnel_peer_streams', { help: 'Tunnel streams open with the peer.', labelNames: ['node'] })
  const rtt = registry.gauge('edgemesh_tunnel_peer_rtt_milliseconds', { help: 'Last ping round trip to the peer.', labelNames: ['node'] })
  const path = registry.gauge('edgemesh_tunnel_peer_path', { help: 'Path in use to the peer (1 for the active path).', labelNames: ['node', 'path'] })
  return registry.onCollect(() => {
    // The peers' own totals are the truth; each scrape copies them (a peer that left drops out).
    for (const m of [bytesIn, bytesOut, streams, rtt, path]) m.reset()
    for (const p of source()) {
      const node = p.nodeName
      bytesIn.inc({ node }, p.bytesIn)
      bytesOut.inc({ node }, p.bytesOut)
      streams.set({ node }, p.streams)
      if (p.rttMs !== undefined) rtt.set({ node }, p.rttMs)
      path.set({ node, path: p.path }, 1)
    }
  })
}
