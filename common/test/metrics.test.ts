import { describe, expect, it } from 'vitest'
import { MetricsRegistry } from '../src/metrics.js'

describe('MetricsRegistry', () => {
  it('renders counters with labels in Prometheus text format', async () => {
    const m = new MetricsRegistry()
    const c = m.counter('edgemesh_server_x_total', { help: 'X things', labelNames: ['code'] })
    c.inc({ code: 'A"B' })
    c.inc({ code: 'A"B' }, 2)
    const text = await m.render()
    expect(text).toContain('# TYPE edgemesh_server_x_total counter')
    expect(text).toContain('edgemesh_server_x_total{code="A\\"B"} 3')
    expect(await m.value('edgemesh_server_x_total', { code: 'A"B' })).toBe(3)
  })

  it('samples gauges lazily on every render, until the sampler is removed', async () => {
    const m = new MetricsRegistry()
    const g = m.gauge('edgemesh_server_things_count', { help: 'G' })
    let n = 1
    const remove = m.onCollect(() => { g.set(n) })
    expect(await m.render()).toContain('edgemesh_server_things_count 1')
    n = 5
    expect(await m.render()).toContain('edgemesh_server_things_count 5')
    remove()
    n = 9
    expect(await m.render()).toContain('edgemesh_server_things_count 5')
  })

  it('returns the metric already registered under a name instead of throwing a duplicate', () => {
    const m = new MetricsRegistry()
    const a = m.counter('edgemesh_api_requests_total', { help: 'a' })
    expect(m.counter('edgemesh_api_requests_total', { help: 'a' })).toBe(a)
  })

  it('refuses a name outside edgemesh_<component>_<thing>_<unit> with METRICS_INVALID_NAME', () => {
    const m = new MetricsRegistry()
    for (const bad of ['requests_total', 'edgemesh_requests', 'edgemesh_Api_requests_total', 'edgemesh-api-requests-total']) {
      expect(() => m.counter(bad, { help: 'x' }), bad).toThrow(expect.objectContaining({ code: 'METRICS_INVALID_NAME' }))
    }
  })

  it('keeps two registries apart (no global default registry)', async () => {
    const a = new MetricsRegistry()
    const b = new MetricsRegistry()
    a.counter('edgemesh_test_hits_total', { help: 'h' }).inc()
    expect(await b.render()).not.toContain('edgemesh_test_hits_total')
    expect(await a.value('edgemesh_test_hits_total')).toBe(1)
  })

  it('reads one histogram series by its name', async () => {
    const m = new MetricsRegistry()
    const h = m.histogram('edgemesh_test_latency_seconds', { help: 'l', labelNames: ['verb'] })
    h.observe({ verb: 'get' }, 0.02)
    h.observe({ verb: 'get' }, 0.2)
    expect(await m.value('edgemesh_test_latency_seconds_count', { verb: 'get' })).toBe(2)
    expect(await m.value('edgemesh_test_latency_seconds_sum', { verb: 'get' })).toBeCloseTo(0.22)
    expect(await m.render()).toContain('edgemesh_test_latency_seconds_bucket{le="0.025",verb="get"} 1')
  })
})
