import { describe, expect, it } from 'vitest'
import { MemoryWatermarkStore } from '../../src/cloud-hub/index.js'

const mark = { resourceVersion: '7', namespace: 'default', kind: 'pod', name: 'web' }

describe('memory watermark store', () => {
  it('returns what was put for a node and uid', async () => {
    const s = new MemoryWatermarkStore()
    await s.put('n1', 'u1', mark)
    expect(await s.get('n1', 'u1')).toEqual(mark)
  })

  it('keeps nodes apart', async () => {
    const s = new MemoryWatermarkStore()
    await s.put('n1', 'u1', mark)
    expect(await s.get('n2', 'u1')).toBeUndefined()
  })

  it('lists a node\'s watermarks and forgets deleted ones', async () => {
    const s = new MemoryWatermarkStore()
    await s.put('n1', 'u1', mark)
    await s.put('n1', 'u2', mark)
    await s.delete('n1', 'u1')
    expect([...(await s.list('n1')).keys()]).toEqual(['u2'])
  })
})
