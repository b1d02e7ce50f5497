import { silentLogger, sleep, type Logger, type Startable } from '@edgemesh/common'
import type { UpstreamInit } from '../edge-hub/edge-hub.js'
import { nodeStatus, type NodeAddress, type NodeConditionInit } from './node-status.js'

export interface NodeReporterInit {
  nodeName: string
  /** How often the Lease is renewed. @default 10_000 */
  leaseRenewMs?: number
  /** leaseDurationSeconds written on the Lease. @default 40 */
  leaseDurationSeconds?: number
  /** How often the full Node status is posted. @default 60_000 */
  statusUpdateMs?: number
  /** @default the host's non-loopback IPv4 addresses and its hostname */
  addresses?: NodeAddress[]
  /** Conditions besides Ready (e.g. edged's pod network warning). */
  conditions?: NodeConditionInit[]
}

export interface NodeReporterComponents {
  /** The edge-hub (anything that sends upstream and resolves on the cloud's ack). */
  hub: { send: (init: UpstreamInit, signal?: AbortSignal) => Promise<unknown> }
  /** @default silent */
  logger?: Logger
  /** @default () => new Date() */
  now?: () => Date
}

/**
 * The node's heartbeat, kubelet-style: registers the Node (status Ready, addresses, capacity), renews
 * its Lease in kube-node-lease every `leaseRenewMs` and posts status every `statusUpdateMs`. While the
 * cloud is unreachable nothing piles up: a renewal that is not acked before the next one is due is
 * dropped (the edge-hub forgets it), so reconnecting sends one fresh lease, not hours of stale ones.
 */
export class NodeReporter implements Startable {
  private ac?: AbortController
  private loop?: Promise<void>
  private readonly log: Logger
  private readonly now: () => Date

  constructor (private readonly components: NodeReporterComponents, private readonly init: NodeReporterInit) {
    this.log = (components.logger ?? silentLogger()).child({ component: 'node-reporter' })
    this.now = components.now ?? (() => new Date())
  }

  isStarted (): boolean { return this.ac !== undefined }

  async start (): Promise<void> {
    if (this.ac !== undefined) return
    const ac = new AbortController()
    this.ac = ac
    this.loop = this.run(ac.signal).catch(err => { if (!ac.signal.aborted) this.log.error({ err }, 'node reporter stopped') })
  }

  async stop (): Promise<void> {
    this.ac?.abort()
    await this.loop
    this.ac = undefined
    this.loop = undefined
  }

  /** Sends one report and waits for its ack, giving up after `withinMs` (then the next report replaces it). */
  private async report (init: UpstreamInit, signal: AbortSignal, withinMs?: number): Promise<boolean> {
    const s = withinMs === undefined ? signal : AbortSignal.any([signal, AbortSignal.timeout(withinMs)])
    try {
      await this.components.hub.send(init, s)
      return true
    } catch (err) {
      if (signal.aborted) throw err
      this.log.debug({ err, resource: init.resource }, 'report not acked in time; the next one replaces it')
      return false
    }
  }

  private nodeReport (operation: 'insert' | 'update'): UpstreamInit {
    return {
      operation,
      resource: `null/node/${this.init.nodeName}`,
      content: { apiVersion: 'v1', kind: 'Node', metadata: { name: this.init.nodeName }, status: nodeStatus(this.now(), { addresses: this.init.addresses, conditions: this.init.conditions }) }
    }
  }

  private leaseReport (): UpstreamInit {
    const renewTime = this.now().toISOString().replace('Z', '000Z')
    return {
      operation: 'update',
      resource: `kube-node-lease/lease/${this.init.nodeName}`,
      content: { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: this.init.nodeName, namespace: 'kube-node-lease' }, spec: { holderIdentity: this.init.nodeName, leaseDurationSeconds: this.init.leaseDurationSeconds ?? 40, renewTime } }
    }
  }

  private async run (signal: AbortSignal): Promise<void> {
    const renewMs = this.init.leaseRenewMs ?? 10_000
    const statusMs = this.init.statusUpdateMs ?? 60_000
    // Registration waits as long as it takes (the node is offline at boot, or the cloud is down).
    await this.report(this.nodeReport('insert'), signal)
    this.log.info({ node: this.init.nodeName }, 'node registered')
    let lastStatus = Date.now()
    while (!signal.aborted) {
      await this.report(this.leaseReport(), signal, renewMs)
      if (Date.now() - lastStatus >= statusMs) {
        await this.report(this.nodeReport('update'), signal, statusMs)
        lastStatus = Date.now()
      }
      await sleep(renewMs, signal).catch(() => {})
    }
  }
}
