import { randomBytes } from 'node:crypto'
import { eventually } from '@edgemesh/common'
import { streamPair } from '@libp2p/utils'
import { describe, expect, it } from 'vitest'
import { streamToDuplex } from '../../src/tunnel/stream-duplex.js'
import { collect } from './helpers.js'

const until = async (cond: () => boolean, ms = 2000): Promise<void> => { await eventually(cond, ms, 'condition', 5) }

describe('streamToDuplex', () => {
  it('keeps the libp2p stream flowing until unread data passes the high-water mark, then pauses and resumes', async () => {
    const [a, b] = await streamPair()
    const d = streamToDuplex(b, { highWaterMark: 64 * 1024 })
    a.send(randomBytes(32 * 1024))
    await until(() => d.readableLength === 32 * 1024)
    expect(b.readStatus).toBe('readable')
    a.send(randomBytes(64 * 1024))
    await until(() => d.readableLength === 96 * 1024)
    expect(b.readStatus).toBe('paused')
    while (d.read() !== null) { /* drain */ }
    await until(() => b.readStatus === 'readable')
    d.destroy()
  })

  it('sends writes that queued behind backpressure together, in order', async () => {
    // capacity 1: the pair applies write backpressure after every message, so later writes queue in the Duplex.
    const [a, b] = await streamPair({ capacity: 1, delay: 2 })
    let sends = 0
    const send = a.send.bind(a)
    a.send = (data) => { sends++; return send(data) }
    const d = streamToDuplex(a, { highWaterMark: 1024 * 1024 })
    const chunks = Array.from({ length: 200 }, () => randomBytes(1000))
    for (const c of chunks) d.write(c)
    d.end()
    const db = streamToDuplex(b)
    // Half-close our side too, so the reader finishing does not destroy a still-writable Duplex (which resets a).
    db.end()
    const got = await collect(db)
    expect(got.equals(Buffer.concat(chunks))).toBe(true)
    expect(sends).toBeLessThan(50)
  })

  it('counts every byte in and out exactly once', async () => {
    const [a, b] = await streamPair({ capacity: 1, delay: 2 })
    let out = 0
    let inb = 0
    const da = streamToDuplex(a, { onBytesOut: (n) => { out += n } })
    const db = streamToDuplex(b, { onBytesIn: (n) => { inb += n } })
    for (let i = 0; i < 50; i++) da.write(randomBytes(3000))
    da.end()
    db.end()
    const got = await collect(db)
    expect(got.byteLength).toBe(150_000)
    expect(out).toBe(150_000)
    expect(inb).toBe(150_000)
  })
})

describe('streamToDuplex destroy', () => {
  it('resets the libp2p stream with the typed MESH_STREAM_RESET, not a plain Error, when destroyed without an error', async () => {
    const [a, b] = await streamPair()
    let reason: unknown
    const abort = b.abort.bind(b)
    b.abort = (err) => { reason = err; abort(err) }
    const d = streamToDuplex(b)
    d.destroy()
    await until(() => reason !== undefined)
    expect((reason as { code?: string }).code).toBe('MESH_STREAM_RESET')
    await a.close().catch(() => {})
  })
})
