import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, open, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { sleep } from '@edgemesh/common'
import { KeadmError } from './errors.js'

/** What keadm started for a data dir, so `reset` stops exactly that. */
export interface DaemonState {
  name: 'cloudcore' | 'edgecore'
  mode: 'process'
  pid: number
  /** The config file the process was started with: its /proc cmdline must still name it. */
  config: string
  logFile: string
  startedAt: string
}

export const stateFile = (dataDir: string, name: DaemonState['name']): string => join(dataDir, `${name}.keadm.json`)

export async function readState (dataDir: string, name: DaemonState['name']): Promise<DaemonState | undefined> {
  try {
    return JSON.parse(await readFile(stateFile(dataDir, name), 'utf8')) as DaemonState
  } catch {
    return undefined
  }
}

/** True while `state.pid` is alive and still the process keadm started (its command line names our config). */
export async function isOurs (state: DaemonState): Promise<boolean> {
  try {
    const cmdline = (await readFile(`/proc/${state.pid}/cmdline`, 'utf8')).split('\0')
    return cmdline.includes(state.config)
  } catch {
    return false
  }
}

/** Refuses with KEADM_ALREADY_RUNNING while the daemon keadm started for this data dir still runs. */
export async function refuseIfRunning (dataDir: string, name: DaemonState['name']): Promise<void> {
  const running = await readState(dataDir, name)
  if (running !== undefined && await isOurs(running)) throw new KeadmError('KEADM_ALREADY_RUNNING', `${name} started by keadm is still running (pid ${running.pid}); run keadm reset first`)
}

export interface StartDaemonOptions {
  name: DaemonState['name']
  /** The built entry point (`.../dist/src/bin/<name>.js`). */
  entry: string
  config: string
  dataDir: string
  /** A line of its stdout that says it is serving. */
  ready: RegExp
  /** @default 90_000 */
  timeoutMs?: number
}

/**
 * Starts the daemon in the background: its own session (survives this shell), stdout/stderr to
 * `<dataDir>/<name>.log`, state (pid, config) in `<dataDir>/<name>.keadm.json`. Resolves with the
 * ready line once the log shows it; if the process exits first, or it takes longer than the timeout,
 * it is stopped and KEADM_START_FAILED carries the end of its log.
 */
export async function startDaemon (opts: StartDaemonOptions): Promise<{ state: DaemonState, line: string }> {
  await refuseIfRunning(opts.dataDir, opts.name)
  await mkdir(opts.dataDir, { recursive: true })
  const logFile = join(opts.dataDir, `${opts.name}.log`)
  const log = await open(logFile, 'a')
  const startOffset = (await log.stat()).size
  const child = spawn(process.execPath, [opts.entry, '--config', opts.config], { detached: true, stdio: ['ignore', log.fd, log.fd] })
  await log.close()
  const pid = child.pid
  if (pid === undefined) throw new KeadmError('KEADM_START_FAILED', `${opts.name} could not be started`)
  let exited: number | null | undefined
  child.once('exit', code => { exited = code })
  child.unref()
  const state: DaemonState = { name: opts.name, mode: 'process', pid, config: opts.config, logFile, startedAt: new Date().toISOString() }
  await writeFile(stateFile(opts.dataDir, opts.name), JSON.stringify(state, null, 2) + '\n')
  const deadline = Date.now() + (opts.timeoutMs ?? 90_000)
  for (;;) {
    const text = (await readFile(logFile, 'utf8')).slice(startOffset)
    const line = text.split('\n').find(l => opts.ready.test(l))
    if (line !== undefined) return { state, line }
    if (exited !== undefined || Date.now() > deadline) {
      if (exited === undefined) await stopDaemon(state).catch(() => {})
      await rm(stateFile(opts.dataDir, opts.name), { force: true })
      const why = exited !== undefined ? `exited with code ${String(exited)}` : 'did not report ready in time'
      throw new KeadmError('KEADM_START_FAILED', `${opts.name} ${why}; last log lines:\n${text.split('\n').slice(-15).join('\n')}`)
    }
    await sleep(100)
  }
}

/** Stops what keadm started: SIGTERM to that pid (only if it is still ours), SIGKILL after `graceMs`. */
export async function stopDaemon (state: DaemonState, graceMs = 15_000): Promise<'stopped' | 'not running'> {
  if (!await isOurs(state)) return 'not running'
  process.kill(state.pid, 'SIGTERM')
  const deadline = Date.now() + graceMs
  while (Date.now() < deadline) {
    if (!existsSync(`/proc/${state.pid}`) || !await isOurs(state)) return 'stopped'
    await sleep(100)
  }
  if (await isOurs(state)) process.kill(state.pid, 'SIGKILL')
  return 'stopped'
}
