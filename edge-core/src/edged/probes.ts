import { request as httpRequest } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { connect } from 'node:net'
import { sleep } from '@edgemesh/common'
import type { Container, Probe } from 'kubernetes-types/core/v1.js'

export interface ProbeResult { ok: boolean, message?: string }

export interface ProbeTarget {
  /** The pod's address (HTTP and TCP probes connect to it unless the probe names a host). */
  podIP: string
  container: Container
  /** Runs argv in the container's sandbox; resolves with the exit code (kills it at the timeout). */
  exec: (argv: string[], timeoutMs: number) => Promise<number>
}

function portOf (c: Container, port: number | string): number | undefined {
  if (typeof port === 'number') return port
  if (/^\d+$/.test(port)) return Number(port)
  return c.ports?.find(p => p.name === port)?.containerPort
}

/** Runs one probe attempt, bounded by the probe's timeoutSeconds (default 1 s), as kubelet does. */
export async function probeOnce (probe: Probe, t: ProbeTarget): Promise<ProbeResult> {
  const timeoutMs = (probe.timeoutSeconds ?? 1) * 1000
  if (probe.httpGet !== undefined) {
    const g = probe.httpGet
    const port = portOf(t.container, g.port)
    if (port === undefined) return { ok: false, message: `port "${String(g.port)}" is not a container port` }
    const host = g.host ?? t.podIP
    const req = g.scheme === 'HTTPS' ? httpsRequest : httpRequest
    return await new Promise<ProbeResult>(resolve => {
      const headers: Record<string, string> = { 'user-agent': 'kube-probe/1.30', accept: '*/*' }
      for (const h of g.httpHeaders ?? []) headers[h.name.toLowerCase()] = h.value
      const r = req({ host, port, path: g.path ?? '/', method: 'GET', headers, timeout: timeoutMs, rejectUnauthorized: false, agent: false }, res => {
        res.resume()
        const code = res.statusCode ?? 0
        resolve(code >= 200 && code < 400 ? { ok: true } : { ok: false, message: `HTTP probe failed with statuscode: ${code}` })
      })
      r.on('timeout', () => { r.destroy(new Error('timeout')) })
      r.on('error', err => { resolve({ ok: false, message: `Get "http://${host}:${port}${g.path ?? '/'}": ${err.message}` }) })
      r.end()
    })
  }
  if (probe.tcpSocket !== undefined) {
    const port = portOf(t.container, probe.tcpSocket.port)
    if (port === undefined) return { ok: false, message: `port "${String(probe.tcpSocket.port)}" is not a container port` }
    const host = probe.tcpSocket.host ?? t.podIP
    return await new Promise<ProbeResult>(resolve => {
      const s = connect({ host, port, timeout: timeoutMs })
      s.once('connect', () => { s.destroy(); resolve({ ok: true }) })
      s.once('timeout', () => { s.destroy(); resolve({ ok: false, message: `dial tcp ${host}:${port}: i/o timeout` }) })
      s.once('error', err => { resolve({ ok: false, message: `dial tcp ${host}:${port}: ${err.message}` }) })
    })
  }
  if (probe.exec !== undefined) {
    const code = await t.exec(probe.exec.command ?? [], timeoutMs).catch((err: unknown) => { return (err as Error).message })
    if (typeof code === 'string') return { ok: false, message: code }
    return code === 0 ? { ok: true } : { ok: false, message: `command ${JSON.stringify(probe.exec.command ?? [])} exited with ${code}` }
  }
  return { ok: false, message: 'probe has no handler this runtime supports (httpGet, tcpSocket, exec)' }
}

export type ProbeKind = 'startup' | 'liveness' | 'readiness'

/**
 * One probe of one running container: waits initialDelaySeconds, probes every periodSeconds, and
 * reports a changed verdict once failureThreshold failures or successThreshold successes are consecutive.
 * Readiness starts false, liveness and startup start "not failed".
 */
export async function runProbeLoop (kind: ProbeKind, probe: Probe, t: ProbeTarget, onVerdict: (ok: boolean, message?: string) => void, signal: AbortSignal): Promise<void> {
  const period = (probe.periodSeconds ?? 10) * 1000
  const failures = probe.failureThreshold ?? 3
  const successes = kind === 'readiness' ? (probe.successThreshold ?? 1) : 1
  let verdict: boolean | undefined = kind === 'readiness' ? false : undefined
  let okRun = 0
  let failRun = 0
  await sleep((probe.initialDelaySeconds ?? 0) * 1000, signal).catch(() => {})
  while (!signal.aborted) {
    const r = await probeOnce(probe, t)
    if (signal.aborted) return
    if (r.ok) { okRun++; failRun = 0 } else { failRun++; okRun = 0 }
    if (r.ok && okRun >= successes && verdict !== true) { verdict = true; onVerdict(true) }
    if (!r.ok && failRun >= failures && verdict !== false) { verdict = false; onVerdict(false, r.message) }
    if (!r.ok && kind !== 'readiness' && failRun >= failures) return
    // Startup probes stop once they succeed.
    if (kind === 'startup' && verdict === true) return
    await sleep(period, signal).catch(() => {})
  }
}
