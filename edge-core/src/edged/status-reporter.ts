import { silentLogger, type Logger } from '@edgemesh/common'
import type { PodStatus } from 'kubernetes-types/core/v1.js'
import type { Pod } from '@edgemesh/kube/machinery'
import type { UpstreamInit } from '../edge-hub/edge-hub.js'

export interface PodStatusReporterComponents {
  hub: { send: (init: UpstreamInit, signal?: AbortSignal) => Promise<unknown> }
  logger?: Logger
}

interface Entry { pod: Pod, status: PodStatus, text: string, sent?: string, inflight?: AbortController }

/**
 * Sends pod statuses up the edge link only when they changed, one in flight per pod: a newer status
 * withdraws an unacked older one (so an offline node holds one pending status per pod, not a history),
 * and a status equal to the last acked one is not sent at all.
 */
export class PodStatusReporter {
  private readonly entries = new Map<string, Entry>()
  private readonly log: Logger
  private stopped = false

  constructor (private readonly c: PodStatusReporterComponents) {
    this.log = (c.logger ?? silentLogger()).child({ component: 'pod-status' })
  }

  set (pod: Pod, status: PodStatus): void {
    if (this.stopped) return
    const uid = pod.metadata?.uid ?? ''
    const text = JSON.stringify(status)
    let e = this.entries.get(uid)
    if (e === undefined) { e = { pod, status, text }; this.entries.set(uid, e) }
    if (e.sent === text && e.inflight === undefined) return
    if (e.text === text && e.inflight !== undefined) return
    e.pod = pod
    e.status = status
    e.text = text
    e.inflight?.abort()
    void this.send(uid, e)
  }

  forget (uid: string): void {
    this.entries.get(uid)?.inflight?.abort()
    this.entries.delete(uid)
  }

  stop (): void {
    this.stopped = true
    for (const e of this.entries.values()) e.inflight?.abort()
  }

  private async send (uid: string, e: Entry): Promise<void> {
    const ac = new AbortController()
    e.inflight = ac
    const text = e.text
    const meta = e.pod.metadata ?? {}
    try {
      await this.c.hub.send({
        operation: 'update',
        resource: `${meta.namespace ?? ''}/pod/${meta.name ?? ''}`,
        content: { apiVersion: 'v1', kind: 'Pod', metadata: { name: meta.name, namespace: meta.namespace, uid: meta.uid }, status: e.status }
      }, ac.signal)
      if (this.entries.get(uid) === e) e.sent = text
    } catch (err) {
      if (!ac.signal.aborted) this.log.debug({ err, pod: `${meta.namespace ?? ''}/${meta.name ?? ''}` }, 'pod status not sent')
    } finally {
      if (e.inflight === ac) e.inflight = undefined
    }
  }
}
