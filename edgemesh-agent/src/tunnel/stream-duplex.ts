import { Duplex } from 'node:stream'
import type { Stream } from '@libp2p/interface'
import { Uint8ArrayList } from 'uint8arraylist'
import { TunnelError } from './errors.js'

export interface StreamDuplexInit {
  onBytesIn?: (n: number) => void
  onBytesOut?: (n: number) => void
  /**
   * Bytes the Duplex buffers on each side. Reading: the libp2p stream is paused (and yamux stops granting
   * window) only once this much is unread, so a busy reader is not paused for every frame. Writing: while a
   * send waits for window, later writes queue up to this much and go out together as one muxer frame.
   * Must stay well below yamux's read-buffer cap minus its window (4 MiB − 2 MiB, see host.ts).
   * @default 262144
   */
  highWaterMark?: number
}

interface ChunkList { byteLength: number, [Symbol.iterator]: () => Iterator<Uint8Array> }

/**
 * Adapts a libp2p stream to a Node Duplex so sockets can be piped through it. Backpressure both ways:
 * the libp2p stream is paused while the Duplex's read buffer is full (yamux then stops granting window),
 * and writes wait for `drain`. `end()` half-closes the libp2p stream; the remote's FIN ends the readable side.
 */
export function streamToDuplex (stream: Stream, init: StreamDuplexInit = {}): Duplex {
  const hwm = init.highWaterMark ?? 256 * 1024
  let readEnded = false
  const endReadable = (): void => {
    if (readEnded) return
    if (stream.readBufferLength > 0) return
    if (!stream.readableEnded && stream.remoteWriteStatus === 'writable') return
    readEnded = true
    duplex.push(null)
  }
  const send = (data: Uint8Array | Parameters<Stream['send']>[0], cb: (err?: Error | null) => void): void => {
    try {
      if (stream.send(data)) cb()
      else stream.onDrain().then(() => { cb() }, cb)
    } catch (err) {
      cb(err as Error)
    }
  }
  const duplex = new Duplex({
    allowHalfOpen: true,
    readableHighWaterMark: hwm,
    writableHighWaterMark: hwm,
    read () {
      if (stream.readStatus === 'paused') stream.resume()
      endReadable()
    },
    write (chunk: Buffer, _enc, cb) {
      init.onBytesOut?.(chunk.byteLength)
      send(chunk, cb)
    },
    // Chunks queue here only while an earlier send waits for window; one send makes them one yamux frame,
    // which Noise then cuts into full 64 KiB records instead of a full one and a sliver per chunk.
    writev (chunks, cb) {
      const list = new Uint8ArrayList()
      for (const c of chunks) list.append(c.chunk as Buffer)
      init.onBytesOut?.(list.byteLength)
      send(list, cb)
    },
    final (cb) {
      stream.close().then(() => { cb() }, cb)
    },
    destroy (err, cb) {
      cleanup()
      if (stream.status === 'open' || stream.status === 'closing') stream.abort(err ?? new TunnelError('MESH_STREAM_RESET', 'the local end of the tunnel stream was destroyed'))
      cb(err)
    }
  })
  const onMessage = (evt: { data: Uint8Array | ChunkList }): void => {
    const data = evt.data
    init.onBytesIn?.(data.byteLength)
    let more = true
    // A message is a list of the muxer's frame payloads; handing them over one by one avoids concatenating.
    if (data instanceof Uint8Array) more = duplex.push(data)
    else for (const b of data) more = duplex.push(b)
    if (!more && stream.readStatus === 'readable') stream.pause()
    if (stream.remoteWriteStatus !== 'writable') queueMicrotask(endReadable)
  }
  const onEnd = (): void => { endReadable() }
  const onClose = (evt: { error?: Error }): void => {
    if (evt.error != null) duplex.destroy(evt.error)
    else endReadable()
  }
  const cleanup = (): void => {
    stream.removeEventListener('message', onMessage)
    stream.removeEventListener('end', onEnd)
    stream.removeEventListener('remoteCloseWrite', onEnd)
    stream.removeEventListener('close', onClose)
  }
  stream.addEventListener('message', onMessage)
  stream.addEventListener('end', onEnd)
  stream.addEventListener('remoteCloseWrite', onEnd)
  stream.addEventListener('close', onClose)
  // The remote may have closed while a header reader held the bytes; they are re-dispatched on a microtask.
  setImmediate(endReadable)
  return duplex
}
