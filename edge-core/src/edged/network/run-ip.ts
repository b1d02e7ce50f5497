import { execFile } from 'node:child_process'
import { EdgedError } from '../errors.js'

/** Runs one `ip`-style command (no shell), bounded in time; rejects with EDGED_NETWORK_FAILED naming the command and its stderr. */
export async function run (cmd: string, args: readonly string[], opts: { timeoutMs?: number, signal?: AbortSignal } = {}): Promise<string> {
  return await new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: opts.timeoutMs ?? 10_000, signal: opts.signal, maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      if (err !== null) {
        reject(new EdgedError('EDGED_NETWORK_FAILED', `${cmd} ${args.join(' ')}: ${String(stderr).trim() || err.message}`, { cause: err }))
        return
      }
      resolve(String(stdout))
    })
  })
}

/** As `run`, but a failure whose stderr matches `ok` (e.g. "File exists" on an idempotent add) counts as success. */
export async function runTolerating (ok: RegExp, cmd: string, args: readonly string[], opts: { timeoutMs?: number, signal?: AbortSignal } = {}): Promise<void> {
  try {
    await run(cmd, args, opts)
  } catch (err) {
    if (!ok.test((err as Error).message)) throw err
  }
}
