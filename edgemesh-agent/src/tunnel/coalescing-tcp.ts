import { Socket } from 'node:net'
import { tcp, type TCPComponents, type TCPOptions } from '@libp2p/tcp'
import type { CreateListenerOptions, DialTransportOptions, MultiaddrConnection, Transport, Upgrader } from '@libp2p/interface'

/** What @libp2p/tcp's connection passes to `sendData` (a Uint8ArrayList; typed structurally to avoid the dependency). */
interface BufferList { byteLength: number, [Symbol.iterator]: () => Iterator<Uint8Array> }

interface SocketBackedConnection {
  socket: Socket
  sendData: (data: BufferList) => { sentBytes: number, canSendMore: boolean }
}

function isSocketBacked (c: unknown): c is SocketBackedConnection {
  const o = c as Partial<SocketBackedConnection>
  return o.socket instanceof Socket && typeof o.sendData === 'function'
}

/**
 * Makes one libp2p send one `writev`. Noise hands the TCP connection a list of [u16 length, ciphertext] pairs
 * and @libp2p/tcp writes each buffer separately; with Nagle off every 2-byte length prefix became its own
 * syscall and TCP segment. Corking for the duration of the send keeps the buffers zero-copy but flushes
 * them together. All buffers of a send are written even past the socket's high-water mark (bounded by
 * one muxer frame, i.e. the yamux window); `canSendMore` still follows the socket, so 'drain' resumes us.
 * Leaves any connection it does not recognise untouched.
 */
export function coalesceWrites (maConn: MultiaddrConnection): MultiaddrConnection {
  if (!isSocketBacked(maConn)) return maConn
  const socket = maConn.socket
  maConn.sendData = (data) => {
    let canSendMore = true
    socket.cork()
    try {
      for (const buf of data) canSendMore = socket.write(buf)
    } finally {
      socket.uncork()
    }
    return { sentBytes: data.byteLength, canSendMore }
  }
  return maConn
}

function wrapUpgrader (u: Upgrader): Upgrader {
  return {
    upgradeInbound: async (maConn: MultiaddrConnection, opts: Parameters<Upgrader['upgradeInbound']>[1]) => { await u.upgradeInbound(coalesceWrites(maConn), opts) },
    upgradeOutbound: async (maConn: MultiaddrConnection, opts: Parameters<Upgrader['upgradeOutbound']>[1]) => await u.upgradeOutbound(coalesceWrites(maConn), opts),
    createInboundAbortSignal: (signal) => u.createInboundAbortSignal(signal),
    getStreamMuxers: () => u.getStreamMuxers(),
    getConnectionEncrypters: () => u.getConnectionEncrypters()
  }
}

/** `@libp2p/tcp` whose connections write each libp2p send with one syscall (see `coalesceWrites`). */
export function coalescingTcp (init: TCPOptions = {}): (components: TCPComponents) => Transport {
  const factory = tcp(init)
  return (components) => {
    const transport = factory(components)
    const dial = transport.dial.bind(transport)
    const createListener = transport.createListener.bind(transport)
    transport.dial = async (ma, options: DialTransportOptions) => await dial(ma, { ...options, upgrader: wrapUpgrader(options.upgrader) })
    transport.createListener = (options: CreateListenerOptions) => createListener({ ...options, upgrader: wrapUpgrader(options.upgrader) })
    return transport
  }
}
