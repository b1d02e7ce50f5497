import { describe, expect, it } from 'vitest'
import { PunchMessage, RendezvousRequest, RendezvousResponse } from '../../src/wire/nat-protocol.js'

// Both ends use these schemas; the tests pin down what each message type accepts.
describe('rendezvous and punch wire schemas', () => {
  it('accepts well-formed rendezvous requests and rejects a bad node name', () => {
    expect(RendezvousRequest.safeParse({ type: 'register', nodeName: 'node-a1', listenAddrs: ['/ip4/10.1.0.11/tcp/20006'], observedAddrs: [], ttlMs: 120000 }).success).toBe(true)
    expect(RendezvousRequest.safeParse({ type: 'lookup', nodeName: 'node-b1' }).success).toBe(true)
    expect(RendezvousRequest.safeParse({ type: 'lookup', nodeName: 'Bad_Name' }).success).toBe(false)
    expect(RendezvousRequest.safeParse({ type: 'register', nodeName: 'node-a1', listenAddrs: [], ttlMs: 0 }).success).toBe(false)
  })

  it('accepts rendezvous responses and rejects unknown keys', () => {
    expect(RendezvousResponse.safeParse({ type: 'registered', ttlMs: 120000, observedAddrs: ['/ip4/203.0.113.21/tcp/20007'] }).success).toBe(true)
    expect(RendezvousResponse.safeParse({ type: 'record', record: { nodeName: 'node-b1', peerId: 'x', listenAddrs: [], observedAddrs: [], expiresInMs: 5 } }).success).toBe(true)
    expect(RendezvousResponse.safeParse({ type: 'registered', ttlMs: 1, observedAddrs: [], extra: 1 }).success).toBe(false)
  })

  it('rejects a punch sync whose endpoint is a hostname rather than an IP', () => {
    expect(PunchMessage.safeParse({ type: 'sync', peerId: 'p', nodeName: 'node-b1', endpoint: { ip: '203.0.113.22', port: 20007 }, inMs: 300 }).success).toBe(true)
    expect(PunchMessage.safeParse({ type: 'sync', peerId: 'p', nodeName: 'node-b1', endpoint: { ip: 'host', port: 20007 }, inMs: 300 }).success).toBe(false)
    expect(PunchMessage.safeParse({ type: 'ack', extra: 1 }).success).toBe(false)
    expect(PunchMessage.safeParse({ type: 'error', code: 'PUNCH_PEER_UNAVAILABLE', message: 'x' }).success).toBe(true)
  })
})


describe('NAT wire schemas', () => {
  it('accepts a punch sync with an IP endpoint and rejects a hostname', () => {
    expect(PunchMessage.safeParse({ type: 'sync', peerId: 'p', nodeName: 'node-b1', endpoint: { ip: '203.0.113.22', port: 20007 }, inMs: 300 }).success).toBe(true)
    expect(PunchMessage.safeParse({ type: 'sync', peerId: 'p', nodeName: 'node-b1', endpoint: { ip: 'evil.example', port: 20007 }, inMs: 300 }).success).toBe(false)
  })

  it('rejects unknown keys in a registration', () => {
    expect(RendezvousRequest.safeParse({ type: 'register', nodeName: 'a', listenAddrs: [], admin: true }).success).toBe(false)
  })
})
