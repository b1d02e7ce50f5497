// The Duplex adapter as it was before the throughput work (one send per write, 16 KiB buffers, joined
// reads), kept only so bench/tunnel/run.ts can measure before and after in the same run. Not used by the agent.
import { Duplex } from 'node:stream'
import type { Stream } from '@libp2p/interface'

export interface StreamDuplexInit {
  onBytesIn?: (n: number) => void
  onBytesOut?: (n: number) => void
}

/**
 * Adapts a libp2p stream to a Node Duplex so sockets can be piped through it. Backpressure both ways:
 * the libp2p stream is paused while the Duplex's read buffer is full (yamux then stops granting window),
 * and writes wait for `drain`. `end()` half-closes the libp2p stream; the remote's FIN ends the readable side.
 */
export function streamToDuplex (stream: Stream, init: StreamDuplexInit = {}): Duplex {
  let readEnded = false
  const endReadable = (): void => {
    if (readEnded) return
    if (stream.readBufferLength > 0) return
    if (!stream.readableEnded && stream.remoteWriteStatus === 'writable') return
    readEnded = true
    duplex.push(null)
  }
  const duplex = new Duplex({
    allowHalfOpen: true,
    read () {
      if (stream.readStatus === 'paused') stream.resume()
      endReadable()
    },
    write (chunk: Buffer, _enc, cb) {
      try {
        init.onBytesOut?.(chunk.byteLength)
        if (stream.send(chunk)) cb()
        else stream.onDrain().then(() => { cb() }, cb)
      } catch (err) {
        cb(err as Error)
      }
    },
    final (cb) {
      stream.close().then(() => { cb() }, cb)
    },
    destroy (err, cb) {
      cleanup()
      if (stream.status === 'open' || stream.status === 'closing') stream.abort(err ?? new Error('tunnel stream destroyed'))
      cb(err)
    }
  })
  const onMessage = (evt: { data: Uint8Array | { subarray: () => Uint8Array } }): void => {
    const data = evt.data instanceof Uint8Array ? evt.data : evt.data.subarray()
    init.onBytesIn?.(data.byteLength)
    if (!duplex.push(data) && stream.readStatus === 'readable') stream.pause()
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
