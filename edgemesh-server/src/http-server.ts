import { createServer } from 'node:http'
import type { MetricsRegistry } from '@edgemesh/common'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface HealthServerInit {
  /** @default '0.0.0.0' */
  host?: string
  /** @default 20005 */
  port?: number
}

export interface HealthServerComponents {
  metrics: MetricsRegistry
  /** Ready = libp2p listening and the identity loaded. */
  ready: () => boolean
}

/** /healthz (process alive), /readyz (serving), /metrics (Prometheus text). */
export class HealthServer {
  private server?: Server

  constructor (private readonly components: HealthServerComponents, private readonly init: HealthServerInit = {}) {}

  get port (): number { return (this.server?.address() as AddressInfo | null)?.port ?? 0 }

  async start (): Promise<void> {
    if (this.server !== undefined) return
    const server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0]
      if (req.method !== 'GET' && req.method !== 'HEAD') { res.writeHead(405).end(); return }
      if (path === '/healthz') { res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n'); return }
      if (path === '/readyz') {
        const ok = this.components.ready()
        res.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' }).end(ok ? 'ok\n' : 'not ready\n')
        return
      }
      if (path === '/metrics') {
        const metrics = this.components.metrics
        metrics.render().then(
          text => { res.writeHead(200, { 'content-type': metrics.contentType }).end(text) },
          () => { res.writeHead(500, { 'content-type': 'text/plain' }).end('metrics unavailable\n') }
        )
        return
      }
      res.writeHead(404).end()
    })
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(this.init.port ?? 20005, this.init.host ?? '0.0.0.0', () => { server.off('error', reject); resolve() })
    })
    this.server = server
  }

  async stop (): Promise<void> {
    const s = this.server
    if (s === undefined) return
    this.server = undefined
    s.closeAllConnections()
    await new Promise<void>(resolve => { s.close(() => { resolve() }) })
  }
}
