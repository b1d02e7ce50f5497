import { describe, expect, it } from 'vitest'
import { NodeQueue, type DownstreamChange } from '../../src/cloud-hub/index.js'

const up = (uid: string, rv: string): DownstreamChange => ({ type: 'upsert', object: { uid, resourceVersion: rv, namespace: 'default', kind: 'pod', name: uid, object: { rv } } })
const del = (uid: string, rv: string): DownstreamChange => ({ type: 'delete', object: { uid, resourceVersion: rv, namespace: 'default', kind: 'pod', name: uid } })

describe('node queue', () => {
  it('keeps only the latest version of an object', () => {
    const q = new NodeQueue()
    q.push(up('a', '1'))
    q.push(up('a', '2'))
    expect(q.depth).toBe(1)
    expect(q.pending('a')?.object.resourceVersion).toBe('2')
  })

  it('lets a delete replace a pending update and never drops it', () => {
    const q = new NodeQueue()
    q.push(up('a', '1'))
    q.push(del('a', '2'))
    expect(q.pending('a')?.type).toBe('delete')
  })

  it('sends objects in the order of their latest change', () => {
    const q = new NodeQueue()
    q.push(up('a', '1'))
    q.push(up('b', '2'))
    q.push(up('a', '3'))
    expect(q.unsent(10).map(([uid]) => uid)).toEqual(['b', 'a'])
  })

  it('removes an entry when its message is acked', () => {
    const q = new NodeQueue()
    q.push(up('a', '1'))
    q.markSent('a', 'm1', 0)
    expect(q.ack('m1')).toMatchObject({ superseded: false })
    expect(q.depth).toBe(0)
  })

  it('keeps a newer change pending when an older message is acked', () => {
    const q = new NodeQueue()
    q.push(up('a', '1'))
    q.markSent('a', 'm1', 0)
    q.push(up('a', '2'))
    expect(q.ack('m1')).toMatchObject({ superseded: true })
    expect(q.pending('a')?.object.resourceVersion).toBe('2')
    expect(q.unsent(10)).toHaveLength(1)
  })

  it('reports sent entries as overdue after the resend interval', () => {
    const q = new NodeQueue()
    q.push(up('a', '1'))
    q.markSent('a', 'm1', 1000)
    expect(q.overdue(5999, 5000)).toHaveLength(0)
    expect(q.overdue(6000, 5000)).toHaveLength(1)
  })

  it('makes everything on the wire due at once for a new session', () => {
    const q = new NodeQueue()
    q.push(up('a', '1'))
    q.markSent('a', 'm1', 1000)
    q.resetSent()
    expect(q.overdue(1001, 5000).map(([, e]) => e.msgId)).toEqual(['m1'])
  })

  it('ignores a push of the version already pending', () => {
    const q = new NodeQueue()
    q.push(up('a', '1'))
    q.markSent('a', 'm1', 0)
    q.push(up('a', '1'))
    expect(q.inflight).toBe(1)
  })
})
