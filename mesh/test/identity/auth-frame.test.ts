import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { decodeAuthFrame, encodeAuthFrame, MAX_AUTH_FRAME_BYTES } from '../../src/identity/auth-frame.js'

describe('auth frames', () => {
  it('round-trips a certificate frame and an error frame', () => {
    expect(decodeAuthFrame(encodeAuthFrame({ version: 1, certPem: 'PEM' }))).toEqual({ version: 1, certPem: 'PEM' })
    expect(decodeAuthFrame(encodeAuthFrame({ version: 1, error: { code: 'CERT_MISMATCH', message: 'no' } }))).toEqual({ version: 1, error: { code: 'CERT_MISMATCH', message: 'no' } })
  })

  it('rejects unknown keys, wrong versions and oversized frames with AUTH_BAD_FRAME', () => {
    const enc = (v: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(v))
    expect(() => decodeAuthFrame(enc({ version: 1, certPem: 'x', extra: 1 }))).toThrow(expect.objectContaining({ code: 'AUTH_BAD_FRAME' }))
    expect(() => decodeAuthFrame(enc({ version: 2, certPem: 'x' }))).toThrow(expect.objectContaining({ code: 'AUTH_BAD_FRAME' }))
    expect(() => decodeAuthFrame(new Uint8Array(MAX_AUTH_FRAME_BYTES + 1))).toThrow(expect.objectContaining({ code: 'AUTH_BAD_FRAME' }))
  })

  it('turns arbitrary bytes into a frame or AUTH_BAD_FRAME, never another error', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => {
      try {
        decodeAuthFrame(bytes)
      } catch (err) {
        expect((err as { code?: string }).code).toBe('AUTH_BAD_FRAME')
      }
    }), { numRuns: 500 })
  })
})
