import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export const ETCD_BIN = '/usr/bin/etcd'

export interface EtcdServer {
  endpoint: string
  /** Kills etcd (SIGKILL, like a crash) and keeps its data. */
  kill: () => Promise<void>
  /** Starts etcd again on the same ports and data dir. */
  restart: () => Promise<void>
  /** Stops etcd and removes its data dir. */
  stop: () => Promise<void>
}

async function freePort (): Promise<number> {
  return await new Promise((resolve, reject) => {
    const srv = createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address()
      srv.close(() => {
        if (typeof addr === 'object' && addr !== null) resolve(addr.port)
        else reject(new Error('no port'))
      })
    })
  })
}

async function healthy (endpoint: string): Promise<boolean> {
  try {
    const res = await fetch(`${endpoint}/health`, { signal: AbortSignal.timeout(1_000) })
    const body = await res.json() as { health?: string }
    return body.health === 'true'
  } catch {
    return false
  }
}

/** Whether a usable etcd binary is installed (tests skip with a printed reason if not). */
export function etcdAvailable (): boolean { return existsSync(ETCD_BIN) }

interface Running { proc: ChildProcess, exited: Promise<void>, stderr: () => string }

function spawnEtcd (dir: string, client: number, peer: number): Running {
  const endpoint = `http://127.0.0.1:${client}`
  const proc = spawn(ETCD_BIN, [
    '--name', 'test', '--data-dir', dir,
    '--listen-client-urls', endpoint, '--advertise-client-urls', endpoint,
    '--listen-peer-urls', `http://127.0.0.1:${peer}`, '--initial-advertise-peer-urls', `http://127.0.0.1:${peer}`,
    '--initial-cluster', `test=http://127.0.0.1:${peer}`, '--log-level', 'error'
  ], { stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  proc.stderr?.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-4_000) })
  const exited = new Promise<void>(resolve => { proc.once('exit', () => { resolve() }) })
  return { proc, exited, stderr: () => stderr }
}

async function kill (r: Running, signal: NodeJS.Signals): Promise<void> {
  if (r.proc.exitCode !== null || r.proc.signalCode !== null) return
  r.proc.kill(signal)
  const t = setTimeout(() => { r.proc.kill('SIGKILL') }, 5_000)
  await r.exited
  clearTimeout(t)
}

async function waitHealthy (r: Running, endpoint: string): Promise<boolean> {
  const deadline = Date.now() + 15_000
  while (Date.now() < deadline && r.proc.exitCode === null) {
    if (await healthy(endpoint)) return true
    await new Promise(resolve => setTimeout(resolve, 100))
  }
  return false
}

/**
 * Starts a single-member etcd on free loopback ports with a throwaway data dir. A port taken between
 * probing and binding makes etcd exit, so startup is retried on fresh ports.
 */
export async function startEtcd (attempts = 3): Promise<EtcdServer> {
  let lastErr: unknown
  for (let i = 0; i < attempts; i++) {
    // tmpfs when there is one: etcd fsyncs every commit, which dominates test time on a shared disk.
    const dir = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'edgemesh-etcd-'))
    const [client, peer] = [await freePort(), await freePort()]
    const endpoint = `http://127.0.0.1:${client}`
    let running = spawnEtcd(dir, client, peer)
    if (await waitHealthy(running, endpoint)) {
      return {
        endpoint,
        kill: async () => { await kill(running, 'SIGKILL') },
        restart: async () => {
          await kill(running, 'SIGKILL')
          running = spawnEtcd(dir, client, peer)
          if (!await waitHealthy(running, endpoint)) throw new Error(`etcd did not come back: ${running.stderr()}`)
        },
        stop: async () => {
          await kill(running, 'SIGTERM')
          rmSync(dir, { recursive: true, force: true })
        }
      }
    }
    lastErr = new Error(`etcd did not become healthy (exit ${String(running.proc.exitCode)}): ${running.stderr()}`)
    await kill(running, 'SIGKILL')
    rmSync(dir, { recursive: true, force: true })
  }
  throw lastErr
}
