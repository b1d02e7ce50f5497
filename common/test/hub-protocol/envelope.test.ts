import { describe, expect, it } from 'vitest'
import { createAck, createKeepalive, createMessage, decodeMessage, encodeMessage, isAck, MAX_MESSAGE_BYTES } from '../../src/hub-protocol/index.js'

const msg = createMessage({ operation: 'insert', resource: 'node/n1/default/pod/web', content: { kind: 'Pod' }, resourceVersion: '42' })

describe('hub envelope', () => {
  it('round-trips a message through encode and decode', () => {
    expect(decodeMessage(encodeMessage(msg))).toEqual(msg)
  })

  it('accepts the beehive example from the design', () => {
    const wire = '{"header":{"msg_id":"uuid","parent_msg_id":"","timestamp":1700000000000,"resourceversion":"42","sync":false},"route":{"source":"edgecontroller","destination":"","group":"resource","operation":"insert","resource":"node/n1/default/pod/web"},"content":{}}'
    expect(decodeMessage(wire).header.msg_id).toBe('uuid')
  })

  it('builds an ack with operation response, content OK and the parent msg_id', () => {
    const ack = createAck(msg, 'edgehub')
    expect(ack.route.operation).toBe('response')
    expect(ack.content).toBe('OK')
    expect(ack.header.parent_msg_id).toBe(msg.header.msg_id)
    expect(isAck(ack)).toBe(true)
  })

  it('does not take a keepalive for an ack', () => {
    expect(isAck(createKeepalive('edgehub'))).toBe(false)
  })

  it('refuses a frame that is not JSON with HUB_MESSAGE_INVALID', () => {
    expect(() => decodeMessage('{nope')).toThrow(expect.objectContaining({ code: 'HUB_MESSAGE_INVALID' }))
  })

  it('refuses an unknown key with HUB_MESSAGE_INVALID', () => {
    const bad = { ...msg, extra: 1 }
    expect(() => decodeMessage(JSON.stringify(bad))).toThrow(expect.objectContaining({ code: 'HUB_MESSAGE_INVALID' }))
  })

  it('refuses a missing header field and still reports the msg_id', () => {
    const bad = { ...msg, header: { ...msg.header, timestamp: undefined } }
    expect(() => decodeMessage(JSON.stringify(bad))).toThrow(expect.objectContaining({ code: 'HUB_MESSAGE_INVALID', msgId: msg.header.msg_id }))
  })

  it('refuses an unknown operation with HUB_OPERATION_UNKNOWN', () => {
    const bad = { ...msg, route: { ...msg.route, operation: 'explode' } }
    expect(() => decodeMessage(JSON.stringify(bad))).toThrow(expect.objectContaining({ code: 'HUB_OPERATION_UNKNOWN' }))
  })

  it('refuses a frame over the size limit with HUB_MESSAGE_TOO_LARGE', () => {
    expect(() => decodeMessage(Buffer.alloc(MAX_MESSAGE_BYTES + 1, 32))).toThrow(expect.objectContaining({ code: 'HUB_MESSAGE_TOO_LARGE' }))
  })
})
