import { connect } from 'node:net'
import { AbortError, sleep } from '@edgemesh/common'
import { NatError } from './errors.js'
import type { Socket } from 'node:net'

export interface TcpPunchInit {
  /** Peer's public endpoint (what its NAT mapped for its link to the server). */
  remote: { ip: string, port: number }
  /** Our fixed punch port: the source port of our link to the server, so the NAT reuses that mapping. */
  localPort: number
  /** Local address the server link is bound to (the notes only measured with it set). */
  localAddress?: string
  /** Wait before the first SYN ("start in N ms" from the coordinator). @default 0 */
  startInMs?: number
  /**
   * Per-attempt connect timeout. Behind a firewall that drops unsolicited SYNs the kernel keeps
   * retransmitting our SYN and the peer's late SYN completes it, so attempts should be long. @default 3_000
   */
  attemptTimeoutMs?: number
  /** Random pause between attempts, 0..jitterMs; jitter is what breaks lock-step RST races. @default 100 */
  jitterMs?: number
  /** @default 40 */
  maxAttempts?: number
  /** Overall deadline. @default 15_000 */
  deadlineMs?: number
  /** Test hook. @default Math.random */
  random?: () => number
}

export interface TcpPunchResult { socket: Socket, attempts: number, elapsedMs: number }

/**
 * TCP simultaneous open: both peers connect() to each other's public endpoint from their fixed local
 * port at (roughly) the same instant; each NAT sees the outgoing SYN first and lets the other's in.
 * Throws PUNCH_TIMEOUT at the deadline, PUNCH_FAILED when attempts run out.
 */
export async function tcpPunch (init: TcpPunchInit, signal?: AbortSignal): Promise<TcpPunchResult> {
  const started = Date.now()
  const deadline = started + (init.deadlineMs ?? 15_000)
  const attemptTimeout = init.attemptTimeoutMs ?? 3_000
  const jitter = init.jitterMs ?? 100
  const maxAttempts = init.maxAttempts ?? 40
  const random = init.random ?? Math.random
  if ((init.startInMs ?? 0) > 0) await sleep(init.startInMs ?? 0, signal)
  let lastError: unknown
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    const left = deadline - Date.now()
    if (left <= 0) throw new NatError('PUNCH_TIMEOUT', `punch to ${init.remote.ip}:${init.remote.port} timed out after ${attempt - 1} attempts`, { cause: lastError })
    try {
      const socket = await tryConnect(init, Math.min(attemptTimeout, left), signal)
      return { socket, attempts: attempt, elapsedMs: Date.now() - started }
    } catch (err) {
      if (err instanceof AbortError) throw err
      lastError = err
    }
    await sleep(random() * jitter, signal)
  }
  throw new NatError('PUNCH_FAILED', `punch to ${init.remote.ip}:${init.remote.port} failed after ${maxAttempts} attempts: ${(lastError as Error | undefined)?.message ?? 'no attempt'}`, { cause: lastError })
}

async function tryConnect (init: TcpPunchInit, timeoutMs: number, signal?: AbortSignal): Promise<Socket> {
  if (signal?.aborted === true) throw new AbortError()
  return await new Promise<Socket>((resolve, reject) => {
    // Node binds with SO_REUSEADDR when localPort is given, which lets this socket share the port
    // with the still-open server link (distinct 4-tuples), as measured in notes/hole-punch.md.
    const socket = connect({ host: init.remote.ip, port: init.remote.port, localPort: init.localPort, localAddress: init.localAddress })
    const done = (err?: Error): void => {
      clearTimeout(timer)
      signal?.removeEventListener('abort', onAbort)
      socket.removeListener('connect', onConnect)
      socket.removeListener('error', onError)
      if (err === undefined) { resolve(socket); return }
      socket.destroy()
      reject(err)
    }
    const onConnect = (): void => { done() }
    const onError = (err: Error): void => { done(err) }
    const onAbort = (): void => { done(new AbortError()) }
    const timer = setTimeout(() => { done(new NatError('PUNCH_TIMEOUT', `attempt timed out after ${timeoutMs} ms`)) }, timeoutMs)
    socket.once('connect', onConnect)
    socket.once('error', onError)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}
