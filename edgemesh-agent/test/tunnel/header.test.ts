import fc from 'fast-check'
import { streamPair } from '@libp2p/utils'
import { describe, expect, it } from 'vitest'
import { streamToDuplex } from '../../src/tunnel/stream-duplex.js'
import { collect } from './helpers.js'
import { decodeRequestBody, decodeResponseBody, encodeRequest, encodeResponse, MAX_HEADER_BYTES, readFrame, splitFrame } from '../../src/tunnel/header.js'

const req = { protocol: 'tcp' as const, nodeName: 'edge-b', ip: '10.1.2.3', port: 8080 }

describe('tunnel header codec', () => {
  it('round-trips a request and both response kinds', () => {
    const f = splitFrame(encodeRequest(req))
    expect(f).toBeDefined()
    expect(decodeRequestBody(f!.body)).toEqual(req)
    expect(decodeResponseBody(splitFrame(encodeResponse({ ok: true }))!.body)).toEqual({ ok: true })
    expect(decodeResponseBody(splitFrame(encodeResponse({ ok: false, code: 'MESH_TARGET_DENIED', message: 'no' }))!.body)).toEqual({ ok: false, code: 'MESH_TARGET_DENIED', message: 'no' })
  })

  it('accepts IPv6 targets and udp', () => {
    const r = { protocol: 'udp' as const, nodeName: 'n1', ip: 'fd00::1', port: 53 }
    expect(decodeRequestBody(splitFrame(encodeRequest(r))!.body)).toEqual(r)
  })

  it('rejects invalid fields with MESH_BAD_HEADER', () => {
    const bad = [
      { ...req, v: 1, ip: 'example.com' },
      { ...req, v: 1, port: 0 },
      { ...req, v: 1, port: 70000 },
      { ...req, v: 1, protocol: 'sctp' },
      { ...req, v: 1, nodeName: 'UPPER' },
      { ...req, v: 2 },
      { ...req, v: 1, extra: true }
    ]
    for (const b of bad) {
      expect(() => decodeRequestBody(Buffer.from(JSON.stringify(b)))).toThrow(expect.objectContaining({ code: 'MESH_BAD_HEADER' }))
    }
  })

  it('rejects a length prefix above the limit before the body arrives', () => {
    const buf = Buffer.from([0xff, 0xff, 1, 2, 3])
    expect(() => splitFrame(buf)).toThrow(expect.objectContaining({ code: 'MESH_BAD_HEADER' }))
    expect(MAX_HEADER_BYTES).toBe(4096)
  })

  it('asks for more bytes on a truncated frame', () => {
    const full = encodeRequest(req)
    for (let i = 0; i < full.byteLength; i++) expect(splitFrame(full.subarray(0, i))).toBeUndefined()
  })

  it('turns any byte string into a request or MESH_BAD_HEADER (fuzz)', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
      try {
        const f = splitFrame(bytes)
        if (f !== undefined) decodeRequestBody(f.body)
      } catch (err) {
        expect((err as { code?: string }).code).toBe('MESH_BAD_HEADER')
      }
    }), { numRuns: 1000 })
  })

  it('decodes JSON-shaped garbage only when it matches the schema (fuzz)', () => {
    fc.assert(fc.property(fc.jsonValue(), (v) => {
      try {
        const r = decodeRequestBody(Buffer.from(JSON.stringify(v)))
        expect(['tcp', 'udp']).toContain(r.protocol)
      } catch (err) {
        expect((err as { code?: string }).code).toBe('MESH_BAD_HEADER')
      }
    }), { numRuns: 400 })
  })
})

describe('readFrame over a stream', () => {
  it('reads one frame and leaves the following bytes on the stream', async () => {
    const [a, b] = await streamPair()
    const frame = encodeRequest(req)
    a.send(Buffer.concat([frame, Buffer.from('payload')]))
    await a.close()
    const body = await readFrame(b, AbortSignal.timeout(2000))
    expect(decodeRequestBody(body)).toEqual(req)
    // The remote FIN was seen while the reader held the bytes; the Duplex must still deliver them and then end.
    const rest = await collect(streamToDuplex(b))
    expect(rest.toString()).toBe('payload')
  })

  it('fails truncated frames with MESH_BAD_HEADER instead of hanging (fuzz)', async () => {
    const full = encodeRequest(req)
    await fc.assert(fc.asyncProperty(fc.integer({ min: 0, max: full.byteLength - 1 }), async (cut) => {
      const [a, b] = await streamPair()
      if (cut > 0) a.send(full.subarray(0, cut))
      await a.close()
      await expect(readFrame(b, AbortSignal.timeout(2000))).rejects.toMatchObject({ code: 'MESH_BAD_HEADER' })
    }), { numRuns: 25 })
  })

  it('fails a giant announced length with MESH_BAD_HEADER without waiting for the body', async () => {
    const [a, b] = await streamPair()
    a.send(Buffer.from([0xf0, 0x00]))
    await expect(readFrame(b, AbortSignal.timeout(2000))).rejects.toMatchObject({ code: 'MESH_BAD_HEADER' })
  })
})
