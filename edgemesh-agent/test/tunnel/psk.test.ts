import { randomBytes } from 'node:crypto'
import { xsalsa20 } from '@noble/ciphers/salsa.js'
import { generateKey } from '@libp2p/pnet'
import { describe, expect, it } from 'vitest'
import { XSalsa20Stream, decodePsk } from '../../src/tunnel/psk.js'

describe('pre-shared key cipher', () => {
  const key = Uint8Array.from(randomBytes(32))
  const nonce = Uint8Array.from(randomBytes(24))

  it('gives the same bytes in pieces of any size as the one-shot XSalsa20 over the whole stream', () => {
    const data = Uint8Array.from(randomBytes(70_000))
    const whole = xsalsa20(key, nonce, data)
    const s = new XSalsa20Stream(key, nonce)
    const parts: Uint8Array[] = []
    // Sizes that start and stop inside, on and across 64-byte block boundaries.
    const sizes = [1, 63, 64, 65, 0, 127, 3, 4096, 5, 64 * 100 + 7]
    let at = 0
    for (let i = 0; at < data.length; i++) {
      const n = Math.min(sizes[i % sizes.length]!, data.length - at)
      parts.push(s.update(data.subarray(at, at + n)))
      at += n
    }
    expect(Buffer.compare(Buffer.concat(parts), Buffer.from(whole))).toBe(0)
  })

  it('decrypts what it encrypted with a second stream on the same key and nonce', () => {
    const data = Uint8Array.from(randomBytes(10_000))
    const enc = new XSalsa20Stream(key, nonce).update(data)
    expect(Buffer.compare(Buffer.from(new XSalsa20Stream(key, nonce).update(enc)), Buffer.from(data))).toBe(0)
  })

  it('keeps every stream independent: one 128 MiB piece does not disturb another stream', () => {
    // The broken pnet cipher shared one WebAssembly memory across streams; growing it for one large
    // piece left the others with detached views.
    const a = new XSalsa20Stream(key, nonce)
    const b = new XSalsa20Stream(key, nonce)
    const head = Uint8Array.from(randomBytes(1000))
    b.update(head)
    a.update(head)
    a.update(new Uint8Array(128 * 1024 * 1024))
    const tail = Uint8Array.from(randomBytes(1000))
    expect(Buffer.compare(Buffer.from(b.update(tail)), Buffer.from(xsalsa20(key, nonce, Buffer.concat([head, tail])).subarray(1000)))).toBe(0)
  })

  it('decodes a key file written by @libp2p/pnet generateKey', () => {
    const file = new Uint8Array(95)
    generateKey(file)
    const hex = new TextDecoder().decode(file).split('\n')[2]
    expect(Buffer.from(decodePsk(file)).toString('hex')).toBe(hex?.toLowerCase())
  })

  it('rejects a key file with the wrong header, encoding or length with MESH_PSK_INVALID', () => {
    const enc = (s: string): Uint8Array => new TextEncoder().encode(s)
    for (const bad of ['nonsense', '/key/swarm/psk/1.0.0/\n/base64/\nAAAA', `/key/swarm/psk/1.0.0/\n/base16/\n${'ab'.repeat(31)}`]) {
      expect(() => decodePsk(enc(bad))).toThrow(expect.objectContaining({ code: 'MESH_PSK_INVALID' }))
    }
  })
})
