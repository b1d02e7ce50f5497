import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { realpathSync, readdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { silentLogger } from '@edgemesh/common'
import { createCloudCore, resolveCloudCoreConfig, type CloudCore } from '../../cloud-core/src/index.js'

/** Why the kubectl suites cannot run here, or undefined when they can. */
export function kubectlMissing (): string | undefined {
  const r = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' })
  if (r.error !== undefined || r.status !== 0) return `kubectl not found on PATH (${r.error?.message ?? r.stderr})`
  return undefined
}

export async function tempDir (prefix: string): Promise<{ path: string, remove: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), prefix))
  return { path, remove: async () => { await rm(path, { recursive: true, force: true }) } }
}

/** An in-process cloudcore on 127.0.0.1, port 0, data in `dataDir`. */
export async function startCloudCore (dataDir: string): Promise<CloudCore> {
  const cc = createCloudCore(resolveCloudCoreConfig({
    dataDir,
    apiServer: { bindAddress: '127.0.0.1', port: 0 },
    cloudHub: { bindAddress: '127.0.0.1', port: 0 },
    bootstrap: { bindAddress: '127.0.0.1', port: 0 },
    controllers: { nodeMonitorGracePeriod: '1h' }
  }), { logger: silentLogger() })
  await cc.start()
  return cc
}

export interface KubectlResult { code: number, stdout: string, stderr: string }

/**
 * Runs the real kubectl against `kubeconfig` with its own discovery cache. Asynchronous on purpose:
 * the API server runs in this process, so a blocking spawn would deadlock.
 */
export class Kubectl {
  /** `bin`: a versioned kubectl (`kubectl.1.27`) instead of the dispatcher on PATH. */
  constructor (readonly kubeconfig: string, readonly cacheDir: string, readonly bin = 'kubectl') {}

  private env (): NodeJS.ProcessEnv {
    return { ...process.env, KUBECONFIG: this.kubeconfig, KUBECACHEDIR: this.cacheDir, HOME: this.cacheDir }
  }

  async run (args: string[], input?: string, timeoutMs = 60_000): Promise<KubectlResult> {
    const child = spawn(this.bin, ['--kubeconfig', this.kubeconfig, '--cache-dir', this.cacheDir, ...args], { env: this.env(), stdio: ['pipe', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d })
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d })
    child.stdin.end(input ?? '')
    const timer = setTimeout(() => { child.kill('SIGKILL') }, timeoutMs)
    const code = await new Promise<number>(resolve => { child.on('close', c => { resolve(c ?? -1) }) })
    clearTimeout(timer)
    return { code, stdout, stderr }
  }

  /** Runs and expects success; the error carries kubectl's stderr. */
  async ok (args: string[], input?: string): Promise<string> {
    const r = await this.run(args, input)
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${r.code}: ${r.stderr}${r.stdout}`)
    return r.stdout
  }

  async json<T = any> (args: string[]): Promise<T> {
    return JSON.parse(await this.ok([...args, '-o', 'json'])) as T
  }

  /** Starts a long-running kubectl (get -w); lines arrive through `lines`. */
  stream (args: string[]): { child: ChildProcess, lines: string[], waitFor: (re: RegExp, timeoutMs?: number) => Promise<string>, stop: () => void } {
    const child = spawn(this.bin, ['--kubeconfig', this.kubeconfig, '--cache-dir', this.cacheDir, ...args], { env: this.env(), stdio: ['ignore', 'pipe', 'pipe'] })
    const lines: string[] = []
    let buf = ''
    let err = ''
    const waiters = new Set<() => void>()
    child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      buf += d
      const parts = buf.split('\n')
      buf = parts.pop() ?? ''
      lines.push(...parts)
      for (const w of waiters) w()
    })
    child.stderr?.setEncoding('utf8').on('data', (d: string) => { err += d })
    const waitFor = async (re: RegExp, timeoutMs = 20_000): Promise<string> => await new Promise<string>((resolve, reject) => {
      const check = (): void => {
        const hit = lines.find(l => re.test(l))
        if (hit !== undefined) { waiters.delete(check); clearTimeout(t); resolve(hit) }
      }
      const t = setTimeout(() => { waiters.delete(check); reject(new Error(`no line matching ${re} within ${timeoutMs} ms; got ${JSON.stringify(lines)} stderr ${err}`)) }, timeoutMs)
      waiters.add(check)
      check()
    })
    return { child, lines, waitFor, stop: () => { child.kill('SIGTERM') } }
  }
}

/** Versioned kubectl binaries next to the dispatcher (`kubectl.1.27` ...), by minor version; empty when there are none. */
export function versionedKubectls (): Map<number, string> {
  const out = new Map<number, string>()
  const r = spawnSync('sh', ['-c', 'command -v kubectl'], { encoding: 'utf8' })
  if (r.status !== 0) return out
  const dir = dirname(realpathSync(r.stdout.trim()))
  for (const name of readdirSync(dir)) {
    const m = /^kubectl\.1\.(\d+)$/.exec(name)
    if (m !== null) out.set(Number(m[1]), join(dir, name))
  }
  return out
}

export { eventually } from '@edgemesh/common'
