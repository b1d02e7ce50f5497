import { describe, expect, it } from 'vitest'
import { MetricsRegistry } from '../src/metrics.js'

describe('MetricsRegistry', () => {
  it('renders counters with labels in Prometheus text format', () => {
    const m = new MetricsRegistry()
    const c = m.counter('edgemesh_server_x_total', 'X things')
    c({ code: 'A"B' })
    c({ code: 'A"B' }, 2)
    const text = m.render()
    expect(text).toContain('# TYPE edgemesh_server_x_total counter')
    expect(text).toContain('edgemesh_server_x_total{code="A\\"B"} 3')
    expect(m.value('edgemesh_server_x_total', { code: 'A"B' })).toBe(3)
  })

  it('samples gauges lazily on every render', () => {
    const m = new MetricsRegistry()
    let n = 1
    m.onCollect(() => { m.gauge('edgemesh_server_g', 'G')(n) })
    expect(m.render()).toContain('edgemesh_server_g 1')
    n = 5
    expect(m.render()).toContain('edgemesh_server_g 5')
  })
})
