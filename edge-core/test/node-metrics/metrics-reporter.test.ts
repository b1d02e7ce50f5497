import { eventually, MetricsRegistry, nodeMetricsReportSchema, type NodeMetricsReport } from '@edgemesh/common'
import { afterEach, describe, expect, it } from 'vitest'
import { MetricsReporter, metricsReport, type UpstreamInit } from '../../src/index.js'

const reporters: MetricsReporter[] = []
afterEach(async () => { for (const r of reporters.splice(0)) await r.stop() })

describe('metrics reporter', () => {
  it('builds a report the cloud\'s schema accepts, one PodMetrics per pod', () => {
    const { report, dropped } = metricsReport('n1', {
      timestamp: new Date('2026-01-02T03:04:05.678Z'),
      windowMs: 15_002,
      node: { cpuNanoCores: 1.5e9, memoryBytes: 2048 * 1024 },
      truncated: false,
      containers: [
        { namespace: 'a', pod: 'p', uid: 'u1', container: 'c1', cpuNanoCores: 12.4, memoryBytes: 4096 },
        { namespace: 'a', pod: 'p', uid: 'u1', container: 'c2', cpuNanoCores: 0, memoryBytes: 1500 }
      ]
    })
    expect(dropped).toBe(0)
    expect(nodeMetricsReportSchema.parse(report)).toEqual(report)
    expect(report.node).toMatchObject({ timestamp: '2026-01-02T03:04:05Z', window: '15.002s', usage: { cpu: '1500000000n', memory: '2048Ki' } })
    expect(report.pods).toHaveLength(1)
    expect(report.pods[0]!.containers).toEqual([{ name: 'c1', usage: { cpu: '12n', memory: '4Ki' } }, { name: 'c2', usage: { cpu: '0n', memory: '1Ki' } }])
  })

  it('sends node usage upstream as null/nodemetrics/<node> once it has two samples', async () => {
    const sent: UpstreamInit[] = []
    const r = new MetricsReporter({ hub: { send: async init => { sent.push(init) } }, source: { containers: () => [] } }, { nodeName: 'n1', reportMs: 50 })
    reporters.push(r)
    await r.start()
    await eventually(() => sent.length >= 2, 5000, 'two reports')
    expect(sent[0]).toMatchObject({ operation: 'update', resource: 'null/nodemetrics/n1' })
    expect((sent[0]!.content as NodeMetricsReport).node.metadata.name).toBe('n1')
  })

  it('withdraws a report that is not acked before the next one is due', async () => {
    const pending: AbortSignal[] = []
    const metrics = new MetricsRegistry()
    const hub = {
      send: async (_init: UpstreamInit, signal?: AbortSignal) => {
        pending.push(signal!)
        // As the edge-hub does: an already aborted send fails at once.
        if (signal!.aborted) throw signal!.reason
        await new Promise((_resolve, reject) => { signal!.addEventListener('abort', () => { reject(signal!.reason) }, { once: true }) })
      }
    }
    const r = new MetricsReporter({ hub, source: { containers: () => [] }, metrics }, { nodeName: 'n1', reportMs: 50 })
    reporters.push(r)
    await r.start()
    await eventually(() => pending.length >= 4, 5000, 'four reports')
    // Every report but the newest was aborted: at most one waits for the cloud.
    const open = pending.filter(s => !s.aborted)
    expect(open.length).toBeLessThanOrEqual(1)
    expect(await metrics.render()).toMatch(/edgemesh_edgecore_metrics_reports_total\{result="withdrawn"\} [3-9]/)
    await r.stop()
    expect(pending.every(s => s.aborted)).toBe(true)
  })
})
