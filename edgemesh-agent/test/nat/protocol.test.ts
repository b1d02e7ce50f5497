import { describe, expect, it } from 'vitest'
import { PunchMessage, RendezvousRequest } from '../../src/tunnel/nat/protocol.js'

describe('NAT wire schemas', () => {
  it('accepts a punch sync with an IP endpoint and rejects a hostname', () => {
    expect(PunchMessage.safeParse({ type: 'sync', peerId: 'p', nodeName: 'node-b1', endpoint: { ip: '203.0.113.22', port: 20007 }, inMs: 300 }).success).toBe(true)
    expect(PunchMessage.safeParse({ type: 'sync', peerId: 'p', nodeName: 'node-b1', endpoint: { ip: 'evil.example', port: 20007 }, inMs: 300 }).success).toBe(false)
  })

  it('rejects unknown keys in a registration', () => {
    expect(RendezvousRequest.safeParse({ type: 'register', nodeName: 'a', listenAddrs: [], admin: true }).success).toBe(false)
  })
})
