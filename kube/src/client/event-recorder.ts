import { randomBytes } from 'node:crypto'
import type { KubeObject, Logger } from '@edgemesh/common'
import type { ObjectClient } from '../machinery/types.js'
import { EVENTS, inNamespace, type Event } from '../machinery/kinds.js'

/** Writes core/v1 Events about objects; failures are logged, never thrown (events are best effort, like upstream). */
export class EventRecorder {
  constructor (private readonly client: ObjectClient, private readonly component: string, private readonly log: Logger) {}

  async record (obj: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string, fallback?: { apiVersion: string, kind: string }): Promise<void> {
    const now = new Date().toISOString()
    const ns = obj.metadata.namespace ?? 'default'
    const ev: Event = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: `${obj.metadata.name ?? 'unknown'}.${randomBytes(8).toString('hex')}`, namespace: ns },
      involvedObject: {
        apiVersion: obj.apiVersion ?? fallback?.apiVersion ?? 'v1',
        kind: obj.kind ?? fallback?.kind,
        name: obj.metadata.name,
        namespace: obj.metadata.namespace,
        uid: obj.metadata.uid,
        resourceVersion: obj.metadata.resourceVersion
      },
      reason,
      message,
      type,
      source: { component: this.component },
      reportingComponent: this.component,
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1
    }
    try {
      await this.client.create(inNamespace(EVENTS, ns), ev)
    } catch (err) {
      this.log.debug({ err, reason }, 'could not record event')
    }
  }
}
