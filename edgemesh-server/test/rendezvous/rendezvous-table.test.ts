import { describe, expect, it } from 'vitest'
import { RendezvousTable } from '../../src/rendezvous/rendezvous-table.js'

const reg = (nodeName: string): { nodeName: string, peerId: string, listenAddrs: string[], observedAddrs: string[] } => ({ nodeName, peerId: `peer-${nodeName}`, listenAddrs: [], observedAddrs: [] })

describe('RendezvousTable', () => {
  it('returns a registration until its TTL runs out', () => {
    let now = 1_000
    const t = new RendezvousTable({ now: () => now })
    t.put(reg('a'), 500)
    now = 1_499
    expect(t.get('a')?.peerId).toBe('peer-a')
    now = 1_500
    expect(t.get('a')).toBeUndefined()
  })

  it('extends the lifetime when a node re-registers', () => {
    let now = 0
    const t = new RendezvousTable({ now: () => now })
    t.put(reg('a'), 100)
    now = 90
    t.put(reg('a'), 100)
    now = 150
    expect(t.get('a')).toBeDefined()
    expect(t.remainingMs(t.get('a')!)).toBe(40)
  })

  it('refuses new nodes when full but still refreshes existing ones', () => {
    let now = 0
    const t = new RendezvousTable({ maxEntries: 2, now: () => now })
    expect(t.put(reg('a'), 100)).toBe(true)
    expect(t.put(reg('b'), 100)).toBe(true)
    expect(t.put(reg('c'), 100)).toBe(false)
    expect(t.put(reg('a'), 100)).toBe(true)
    now = 200
    expect(t.put(reg('c'), 100)).toBe(true)
    expect(t.size).toBe(1)
  })
})
