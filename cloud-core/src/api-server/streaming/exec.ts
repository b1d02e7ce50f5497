import { POD_STREAM_CHANNEL as CH, type Logger, type PodStream, type PodStreamRequest } from '@edgemesh/common'
import type { WebSocket } from 'ws'
import { StreamingError } from './errors.js'
import type { SpdySession, SpdyStream } from './spdy-session.js'

/** Channel protocols served for exec/attach over WebSocket, preferred first. v5 adds the close channel (stdin EOF). */
export const WS_EXEC_PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io'] as const
/** Over SPDY: v4 carries a Status JSON on the error stream, which is how kubectl learns the exit code. */
export const SPDY_EXEC_PROTOCOLS = ['v4.channel.k8s.io'] as const

const SUCCESS = Buffer.from(JSON.stringify({ metadata: {}, status: 'Success' }))

/** Builds the node request from an exec/attach query (`command` once per argv element). */
export function execRequest (kind: 'exec' | 'attach', q: URLSearchParams): Omit<PodStreamRequest, 'namespace' | 'pod'> {
  const flag = (name: string): boolean => { const v = q.get(name); return v === 'true' || v === '1' }
  const tty = flag('tty')
  return {
    kind,
    ...(kind === 'exec' ? { command: q.getAll('command') } : {}),
    stdin: flag('stdin'),
    stdout: flag('stdout'),
    // A tty merges stderr into stdout; kubectl sends no stderr stream then.
    stderr: flag('stderr') && !tty,
    tty
  }
}

/** What the node's stream produced: its last status frame, if any. */
async function pumpOutput (pod: PodStream, out: (channel: number, data: Uint8Array) => Promise<void>): Promise<Uint8Array | undefined> {
  let status: Uint8Array | undefined
  for await (const f of pod) {
    if (f.channel === CH.stdout || f.channel === CH.stderr) await out(f.channel, f.data)
    else if (f.channel === CH.status) status = f.data
  }
  return status
}

function isSuccess (status: Uint8Array | undefined): boolean {
  if (status === undefined) return true
  try { return (JSON.parse(Buffer.from(status).toString('utf8')) as { status?: unknown }).status === 'Success' } catch { return false }
}

/**
 * exec/attach over a WebSocket channel protocol: byte 0 of each binary message is the channel. The end
 * is always the status frame then a close: a status without the close leaves kubectl hanging, a close
 * without a status loses the exit code.
 */
export async function execOverWebSocket (ws: WebSocket, protocol: string, pod: PodStream, log: Logger): Promise<void> {
  const v5 = protocol === 'v5.channel.k8s.io'
  let input: Promise<void> = Promise.resolve()
  let pending = 0
  const forward = (channel: number, data: Uint8Array): void => {
    pending++
    if (pending > 16) ws.pause()
    input = input.then(async () => { await pod.send(channel, data) }).catch(() => {}).finally(() => {
      pending--
      if (pending <= 4) ws.resume()
    })
  }
  ws.on('message', (msg: Buffer, isBinary: boolean) => {
    if (!isBinary || msg.length === 0) return
    const ch = msg[0]!
    const data = msg.subarray(1)
    if (ch === CH.stdin || ch === CH.resize) forward(ch, data)
    else if (ch === CH.close && v5 && data[0] === CH.stdin) forward(CH.close, Uint8Array.of(CH.stdin))
  })
  ws.on('error', (err) => { log.debug({ err }, 'exec WebSocket failed') })
  let finished = false
  ws.once('close', () => { if (!finished) pod.abort('the client closed the connection') })
  const send = async (channel: number, data: Uint8Array): Promise<void> => {
    if (ws.readyState !== ws.OPEN) return
    await new Promise<void>(resolve => { ws.send(Buffer.concat([Uint8Array.of(channel), data]), () => { resolve() }) })
  }
  try {
    const status = await pumpOutput(pod, send)
    finished = true
    await send(CH.status, status ?? SUCCESS)
    ws.close(1000)
  } catch (err) {
    log.debug({ err }, 'exec stream ended early')
    ws.terminate()
  }
}

/**
 * exec/attach over SPDY/3.1: kubectl opens one stream per channel (`streamtype` header) and waits for
 * each reply. The process is started by the node already; output is relayed once the announced streams
 * exist. The end: FIN stdout/stderr, the Status on the error stream (failures only), FIN it, GOAWAY.
 */
export async function execOverSpdy (session: SpdySession, req: ReturnType<typeof execRequest>, pod: PodStream, log: Logger, setupTimeoutMs: number): Promise<void> {
  const want = new Set(['error', ...(req.stdin === true ? ['stdin'] : []), ...(req.stdout === true ? ['stdout'] : []), ...(req.stderr === true ? ['stderr'] : []), ...(req.tty === true ? ['resize'] : [])])
  const streams = new Map<string, SpdyStream>()
  const setup = AbortSignal.any([session.signal, AbortSignal.timeout(setupTimeoutMs)])
  try {
    while ([...want].some(t => !streams.has(t))) {
      const s = await session.incoming.next(setup)
      if (s === undefined) {
        if (session.signal.aborted) throw new Error('the client closed the connection')
        throw new StreamingError('STREAM_SETUP_TIMEOUT', `the client did not open the ${[...want].filter(t => !streams.has(t)).join(', ')} stream(s) within ${setupTimeoutMs} ms`)
      }
      await s.reply()
      streams.set(s.headers.get('streamtype') ?? '', s)
    }
  } catch (err) {
    if (err instanceof StreamingError) log.warn({ code: err.code }, err.message)
    pod.abort('the client did not set up its streams')
    session.destroy()
    return
  }
  const abortOnClose = (): void => { pod.abort('the client closed the connection') }
  session.signal.addEventListener('abort', abortOnClose, { once: true })
  const stdin = streams.get('stdin')
  if (stdin !== undefined) {
    void (async () => {
      for await (const chunk of stdin) await pod.send(CH.stdin, chunk)
      await pod.send(CH.close, Uint8Array.of(CH.stdin))
    })().catch(() => {})
  }
  const resize = streams.get('resize')
  if (resize !== undefined) {
    void (async () => {
      let buf = ''
      for await (const chunk of resize) {
        buf += Buffer.from(chunk).toString('utf8')
        let nl: number
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl).trim()
          buf = buf.slice(nl + 1)
          if (line !== '') await pod.send(CH.resize, Buffer.from(line))
        }
      }
    })().catch(() => {})
  }
  try {
    const status = await pumpOutput(pod, async (channel, data) => {
      const s = streams.get(channel === CH.stdout ? 'stdout' : 'stderr') ?? streams.get('stdout')
      await s?.write(data)
    })
    session.signal.removeEventListener('abort', abortOnClose)
    await streams.get('stdout')?.end()
    await streams.get('stderr')?.end()
    const error = streams.get('error')!
    if (!isSuccess(status)) await error.write(status!)
    await error.end()
    await session.close()
  } catch (err) {
    log.debug({ err }, 'exec stream ended early')
    session.destroy()
  }
}
