import { describe, expect, it } from 'vitest'
import type { HubProtocolError} from '../src/hub-protocol/index.js';
import { decodeStreamFrame, encodeStreamFrame, STREAM_FRAME, type StreamFrame } from '../src/hub-protocol/index.js'

const MAX = 1024 * 1024

function codeOf (fn: () => unknown): { code?: string, streamId?: number } {
  try { fn() } catch (err) { return { code: (err as HubProtocolError).code, streamId: (err as HubProtocolError).streamId } }
  return {}
}

describe('stream frames', () => {
  it('round-trips every frame type', () => {
    const frames: StreamFrame[] = [
      { type: 'open', id: 1, request: { kind: 'exec', namespace: 'default', pod: 'p', command: ['sh'], stdin: true } },
      { type: 'accept', id: 2 },
      { type: 'refuse', id: 3, status: 404, message: 'no such container' },
      { type: 'data', id: 4, channel: 2, data: new Uint8Array([1, 2, 3]) },
      { type: 'data', id: 4, channel: 255, data: new Uint8Array(0) },
      { type: 'end', id: 0xffff_ffff },
      { type: 'abort', id: 6, reason: 'gone' },
      { type: 'credit', id: 7, bytes: 262_144 }
    ]
    for (const f of frames) {
      const back = decodeStreamFrame(encodeStreamFrame(f), MAX)
      if (f.type === 'data' && back.type === 'data') expect({ ...back, data: [...back.data] }).toEqual({ ...f, data: [...f.data] })
      else expect(back).toEqual(f)
    }
  })

  it('puts the type, the big-endian stream id and the channel first', () => {
    const buf = encodeStreamFrame({ type: 'data', id: 0x01020304, channel: 1, data: new Uint8Array([9]) })
    expect([...buf]).toEqual([STREAM_FRAME.data, 1, 2, 3, 4, 1, 9])
  })

  it('rejects frames shorter than the header, stream id 0 and unknown types as HUB_STREAM_FRAME_INVALID', () => {
    expect(codeOf(() => decodeStreamFrame(Buffer.from([4, 0, 0]), MAX)).code).toBe('HUB_STREAM_FRAME_INVALID')
    expect(codeOf(() => decodeStreamFrame(Buffer.from([2, 0, 0, 0, 0]), MAX)).code).toBe('HUB_STREAM_FRAME_INVALID')
    expect(codeOf(() => decodeStreamFrame(Buffer.from([99, 0, 0, 0, 5]), MAX))).toEqual({ code: 'HUB_STREAM_FRAME_INVALID', streamId: 5 })
  })

  it('rejects an OPEN that is not a valid pod-stream request, naming its stream', () => {
    const bad = Buffer.concat([Buffer.from([STREAM_FRAME.open, 0, 0, 0, 9]), Buffer.from(JSON.stringify({ kind: 'log', namespace: 'NOPE', pod: 'p' }))])
    expect(codeOf(() => decodeStreamFrame(bad, MAX))).toEqual({ code: 'HUB_STREAM_FRAME_INVALID', streamId: 9 })
    const notJson = Buffer.concat([Buffer.from([STREAM_FRAME.open, 0, 0, 0, 9]), Buffer.from('{')])
    expect(codeOf(() => decodeStreamFrame(notJson, MAX)).code).toBe('HUB_STREAM_FRAME_INVALID')
    const extra = Buffer.concat([Buffer.from([STREAM_FRAME.open, 0, 0, 0, 9]), Buffer.from(JSON.stringify({ kind: 'log', namespace: 'a', pod: 'p', evil: 1 }))])
    expect(codeOf(() => decodeStreamFrame(extra, MAX)).code).toBe('HUB_STREAM_FRAME_INVALID')
  })

  it('rejects a REFUSE status outside 100..599, a CREDIT of zero and payload on ACCEPT', () => {
    const refuse = Buffer.concat([Buffer.from([STREAM_FRAME.refuse, 0, 0, 0, 1]), Buffer.from(JSON.stringify({ status: 99, message: '' }))])
    expect(codeOf(() => decodeStreamFrame(refuse, MAX)).code).toBe('HUB_STREAM_FRAME_INVALID')
    expect(codeOf(() => decodeStreamFrame(Buffer.from([STREAM_FRAME.credit, 0, 0, 0, 1, 0, 0, 0, 0]), MAX)).code).toBe('HUB_STREAM_FRAME_INVALID')
    expect(codeOf(() => decodeStreamFrame(Buffer.from([STREAM_FRAME.accept, 0, 0, 0, 1, 7]), MAX)).code).toBe('HUB_STREAM_FRAME_INVALID')
  })

  it('rejects frames over the size limit and DATA over the split size as HUB_STREAM_FRAME_TOO_LARGE', () => {
    const big = encodeStreamFrame({ type: 'data', id: 3, channel: 1, data: new Uint8Array(2000) })
    expect(codeOf(() => decodeStreamFrame(big, 1000))).toEqual({ code: 'HUB_STREAM_FRAME_TOO_LARGE', streamId: 3 })
    expect(codeOf(() => decodeStreamFrame(big, MAX, 1024))).toEqual({ code: 'HUB_STREAM_FRAME_TOO_LARGE', streamId: 3 })
    expect(decodeStreamFrame(big, MAX, 2000).type).toBe('data')
  })
})
