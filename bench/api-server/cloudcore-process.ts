// cloudcore as a child process, so its RSS is its own and not the benchmark client's.
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, statSync } from 'node:fs'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'

export interface CloudCoreProcess {
  pid: number
  kubeconfig: string
  /** Its data dir (pki/ holds the cluster CA). */
  dataDir: string
  /** How the binary ran: the built dist, or the TypeScript sources through tsx. */
  runtime: 'dist' | 'tsx'
  stop: () => Promise<void>
}

/** Resident set size of a process in MiB, from /proc (Linux only). */
export async function rssMiB (pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8')
  const kb = /VmRSS:\s+(\d+)\s+kB/.exec(status)?.[1]
  if (kb === undefined) throw new Error(`no VmRSS for pid ${pid}`)
  return Math.round(Number(kb) / 1024 * 10) / 10
}

/** Samples RSS every `intervalMs` until stopped; reports the peak. */
export function rssSampler (pid: number, intervalMs = 100): { stop: () => number } {
  let peak = 0
  const t = setInterval(() => {
    rssMiB(pid).then(v => { peak = Math.max(peak, v) }, () => {})
  }, intervalMs)
  return { stop: () => { clearInterval(t); return peak } }
}

/**
 * The built binary when it is at least as new as its sources (`npm run bench` builds first);
 * otherwise the sources through tsx, which costs extra RSS for the loader.
 */
function command (root: string): { args: string[], runtime: 'dist' | 'tsx' } {
  const dist = join(root, 'cloud-core/dist/src/bin/cloudcore.js')
  const src = join(root, 'cloud-core/src/bin/cloudcore.ts')
  const fresh = (built: string, source: string): boolean => existsSync(built) && statSync(built).mtimeMs >= statSync(source).mtimeMs
  if (fresh(dist, src) && fresh(join(root, 'cloud-core/dist/src/cloudcore.js'), join(root, 'cloud-core/src/cloudcore.ts'))) return { args: [dist], runtime: 'dist' }
  return { args: ['--conditions=source', '--import', 'tsx', src], runtime: 'tsx' }
}

export interface StartOptions {
  /** Write a V8 CPU profile of the whole run here (`--cpu-prof`). @default no profile */
  cpuProfileDir?: string
  /** @default 90_000 */
  timeoutMs?: number
  /** cloud-hub port. @default 0 (any free port) */
  hubPort?: number
}

/** Starts cloudcore with `store` as its backend on a free loopback port; resolves once it serves. */
export async function startCloudCore (root: string, store: Record<string, unknown>, opts: StartOptions = {}): Promise<CloudCoreProcess> {
  const timeoutMs = opts.timeoutMs ?? 90_000
  const dataDir = await mkdtemp(join(tmpdir(), 'edgemesh-api-bench-'))
  const configFile = join(dataDir, 'cloudcore.yaml')
  // JSON is YAML; the config loader takes either.
  await writeFile(configFile, JSON.stringify({
    dataDir,
    apiServer: { port: 0, bindAddress: '127.0.0.1' },
    cloudHub: { port: opts.hubPort ?? 0, bindAddress: '127.0.0.1' },
    bootstrap: { port: 0, bindAddress: '127.0.0.1' },
    store,
    log: { level: 'warn' }
  }))
  const { args, runtime } = command(root)
  const prof = opts.cpuProfileDir !== undefined ? ['--cpu-prof', '--cpu-prof-dir', opts.cpuProfileDir] : []
  const child: ChildProcess = spawn(process.execPath, [...prof, ...args, '--config', configFile], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr?.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-4_000) })
  const exited = new Promise<void>(resolve => { child.once('exit', () => { resolve() }) })
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM')
      const t = setTimeout(() => { child.kill('SIGKILL') }, 10_000)
      await exited
      clearTimeout(t)
    }
    await rm(dataDir, { recursive: true, force: true })
  }
  try {
    const kubeconfig = await new Promise<string>((resolve, reject) => {
      const t = setTimeout(() => { reject(new Error(`cloudcore did not start within ${timeoutMs} ms: ${stderr}`)) }, timeoutMs)
      child.once('exit', code => { clearTimeout(t); reject(new Error(`cloudcore exited (${String(code)}) before serving: ${stderr}`)) })
      const lines = createInterface({ input: child.stdout! })
      lines.on('line', line => {
        const m = /^export KUBECONFIG=(.+)$/.exec(line.trim())
        if (m !== null) { clearTimeout(t); resolve(m[1]!) }
      })
    })
    return { pid: child.pid!, kubeconfig: await readFile(kubeconfig, 'utf8'), dataDir, runtime, stop }
  } catch (err) {
    await stop()
    throw err
  }
}
