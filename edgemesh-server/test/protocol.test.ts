import { describe, expect, it } from 'vitest'
import { PunchMessage as AgentPunchMessage, RendezvousRequest as AgentRendezvousRequest, RendezvousResponse as AgentRendezvousResponse } from '../../edgemesh-agent/src/tunnel/nat/protocol.js'
import { PunchMessage, RendezvousRequest, RendezvousResponse } from '../src/protocol.js'

// The agent keeps its own copy of the wire schemas (it cannot import this package); they must agree.
describe('wire schemas shared with the agent', () => {
  const msgs: unknown[] = [
    { type: 'register', nodeName: 'node-a1', listenAddrs: ['/ip4/10.1.0.11/tcp/20006'], observedAddrs: [], ttlMs: 120000 },
    { type: 'register', nodeName: 'node-a1', listenAddrs: [], ttlMs: 0 },
    { type: 'lookup', nodeName: 'node-b1' },
    { type: 'lookup', nodeName: 'Bad_Name' },
    { type: 'registered', ttlMs: 120000, observedAddrs: ['/ip4/203.0.113.21/tcp/20007'] },
    { type: 'record', record: { nodeName: 'node-b1', peerId: 'x', listenAddrs: [], observedAddrs: [], expiresInMs: 5 } },
    { type: 'connect', nodeName: 'node-b1' },
    { type: 'sync', peerId: 'p', nodeName: 'node-b1', endpoint: { ip: '203.0.113.22', port: 20007 }, inMs: 300 },
    { type: 'sync', peerId: 'p', nodeName: 'node-b1', endpoint: { ip: 'host', port: 20007 }, inMs: 300 },
    { type: 'ack' },
    { type: 'ack', extra: 1 },
    { type: 'error', code: 'PUNCH_PEER_UNAVAILABLE', message: 'x' }
  ]

  it('accepts and rejects exactly the same messages on both sides', () => {
    for (const m of msgs) {
      expect(AgentRendezvousRequest.safeParse(m).success, JSON.stringify(m)).toBe(RendezvousRequest.safeParse(m).success)
      expect(AgentRendezvousResponse.safeParse(m).success, JSON.stringify(m)).toBe(RendezvousResponse.safeParse(m).success)
      expect(AgentPunchMessage.safeParse(m).success, JSON.stringify(m)).toBe(PunchMessage.safeParse(m).success)
    }
  })

  it('rejects a punch sync whose endpoint is a hostname rather than an IP', () => {
    expect(PunchMessage.safeParse(msgs[8]).success).toBe(false)
    expect(PunchMessage.safeParse(msgs[7]).success).toBe(true)
  })
})
