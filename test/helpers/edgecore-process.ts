// The built edgecore binary as a real child process, for tests that restart it (kill -9, offline starts).
import { spawn, type ChildProcess } from 'node:child_process'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { firstLine } from './daemons.js'

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)))
export const EDGECORE_BIN = join(ROOT, 'edge-core/dist/src/bin/edgecore.js')

/** One edgecore at a time: `start` waits for a stdout line matching `ready`; `kill9` and `stop` end only the process it started. */
export class EdgecoreProcess {
  child?: ChildProcess

  /** Resolves with the matching line. */
  async start (config: string, ready: (line: string) => boolean): Promise<string> {
    const c = spawn(process.execPath, [EDGECORE_BIN, '--config', config], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
    this.child = c
    return await firstLine(c, ready)
  }

  async kill9 (): Promise<void> { await this.signal('SIGKILL') }

  /** SIGTERM, then SIGKILL after `graceMs`. */
  async stop (graceMs = 15_000): Promise<void> {
    const c = this.child
    if (c === undefined || c.exitCode !== null) return
    const t = setTimeout(() => { c.kill('SIGKILL') }, graceMs)
    await this.signal('SIGTERM')
    clearTimeout(t)
  }

  private async signal (sig: NodeJS.Signals): Promise<void> {
    const c = this.child
    this.child = undefined
    if (c === undefined || c.exitCode !== null || c.signalCode !== null) return
    const exited = new Promise(resolve => c.once('exit', resolve))
    c.kill(sig)
    await exited
  }
}
