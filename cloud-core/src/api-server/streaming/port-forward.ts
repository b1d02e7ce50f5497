import { POD_STREAM_CHANNEL as CH, type Logger, type PodStream } from '@edgemesh/common'
import type { SpdySession, SpdyStream } from './spdy-session.js'

/** Opens the node stream for one forwarded connection; rejects with the message kubectl should print. */
export type PortOpener = (port: number, signal: AbortSignal) => Promise<PodStream>

interface Pair { error?: SpdyStream, data?: SpdyStream }

/**
 * port-forward over a SPDY/3.1 session (a raw upgraded connection, or the bytes of a WebSocket).
 * Per local connection kubectl opens an `error` stream (and FINs it at once) and a `data` stream,
 * both with `port` and `requestid`. Each data stream gets its own node stream; when the target
 * closes, the data stream is FINed first, then the error stream (bytes on it are a failure kubectl
 * reports, and it ends the whole forward).
 */
export async function portForwardOverSpdy (session: SpdySession, podName: string, uid: string | undefined, open: PortOpener, log: Logger): Promise<void> {
  const pairs = new Map<string, Pair>()
  const running = new Set<Promise<void>>()
  for await (const s of session.incoming) {
    await s.reply().catch(() => {})
    const type = s.headers.get('streamtype')
    const rid = s.headers.get('requestid') ?? ''
    const pair = pairs.get(rid) ?? {}
    pairs.set(rid, pair)
    if (type === 'error') {
      pair.error = s
      // The client never writes on its error stream; draining it lets its FIN close our inbound side.
      void (async () => { for await (const _ of s) { /* nothing the client sends here matters */ } })()
    } else if (type === 'data') {
      pair.data = s
      pairs.delete(rid)
      const portText = s.headers.get('port') ?? ''
      const port = Number(portText)
      const p = forward(s, () => pair.error, port, portText, podName, uid, open, session.signal, log).finally(() => { running.delete(p) })
      running.add(p)
    } else {
      s.reset()
    }
  }
  await Promise.allSettled([...running])
}

async function forward (data: SpdyStream, errorOf: () => SpdyStream | undefined, port: number, portText: string, podName: string, uid: string | undefined, open: PortOpener, signal: AbortSignal, log: Logger): Promise<void> {
  const finish = async (errorText?: string): Promise<void> => {
    const error = errorOf()
    if (errorText !== undefined) await error?.write(Buffer.from(errorText))
    await data.end()
    await error?.end()
  }
  try {
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      await finish(`invalid port "${portText}" in the port-forward request`)
      return
    }
    let pod: PodStream
    try {
      pod = await open(port, signal)
    } catch (err) {
      await finish(`error forwarding port ${port} to pod ${podName}, uid ${uid ?? ''}: ${(err as Error).message}`)
      return
    }
    const onAbort = (): void => { pod.abort('the port-forward session ended') }
    signal.addEventListener('abort', onAbort, { once: true })
    void (async () => {
      for await (const chunk of data) await pod.send(CH.stdin, chunk)
      await pod.send(CH.close, Uint8Array.of(CH.stdin))
    })().catch(() => {})
    let errorText = ''
    try {
      for await (const f of pod) {
        if (f.channel === CH.stdout) await data.write(f.data)
        else if (f.channel === CH.status) errorText += Buffer.from(f.data).toString('utf8')
      }
    } finally {
      signal.removeEventListener('abort', onAbort)
    }
    await finish(errorText === '' ? undefined : errorText)
  } catch (err) {
    log.debug({ err, port }, 'a forwarded connection ended early')
    data.reset()
  }
}
