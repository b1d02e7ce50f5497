import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process'
import { accessSync, constants, existsSync } from 'node:fs'
import { delimiter, isAbsolute, join } from 'node:path'
import { ContainerLogWriter, type ContainerLogInit } from './container-log.js'
import { EdgedError } from './errors.js'
import type { Mount } from './volumes.js'

/** Where and how one process of a pod runs. */
export interface SandboxedCommand {
  argv: string[]
  env: Record<string, string>
  cwd: string
  /** The pod's network namespace; undefined runs in the node's. */
  netns?: string
  /** The container's volume mounts, bound in a mount namespace of its own. */
  mounts?: Mount[]
}

export interface ContainerLaunch extends SandboxedCommand {
  /** The instance's CRI-format log file. */
  logFile: string
}

export interface ContainerExit {
  exitCode: number
  signal: NodeJS.Signals | null
  finishedAt: Date
}

export interface RunningContainer {
  readonly pid: number
  readonly startedAt: Date
  /** Resolves when the process has exited and its output is in the log file. */
  readonly exited: Promise<ContainerExit>
  /** Signals the container's whole process group. */
  kill: (signal: NodeJS.Signals) => void
}

/** How edged runs containers; the process runtime now, a CRI runtime later behind the same shape. */
export interface ContainerRuntime {
  readonly name: string
  start: (launch: ContainerLaunch) => Promise<RunningContainer>
  /** Runs a command in a pod's sandbox with the container's env and working dir (kubectl exec, exec probes). */
  exec: (cmd: SandboxedCommand, stdio: StdioOptions) => ChildProcess
}

export interface ProcessRuntimeInit {
  log?: ContainerLogInit
  /** Wrap each process so the kernel kills it when edgecore dies (setpriv --pdeathsig). @default true when setpriv exists */
  dieWithEdgecore?: boolean
}

/** Resolves argv[0] as execve with PATH lookup would; throws EDGED_START_FAILED like a container runtime. */
export function resolveExecutable (file: string, path: string | undefined): string {
  const executable = (p: string): boolean => { try { accessSync(p, constants.X_OK); return true } catch { return false } }
  if (file.includes('/')) {
    if (isAbsolute(file) ? executable(file) : true) return file
    throw new EdgedError('EDGED_START_FAILED', `exec: "${file}": stat ${file}: no such file or directory or not executable`)
  }
  for (const dir of (path ?? '/usr/local/bin:/usr/bin:/bin').split(delimiter)) {
    if (dir === '') continue
    const p = join(dir, file)
    if (executable(p)) return p
  }
  throw new EdgedError('EDGED_START_FAILED', `exec: "${file}": executable file not found in $PATH`)
}

const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].find(p => existsSync(p))

/**
 * Containers as supervised child processes, each the leader of its own process group, optionally in
 * the pod's network namespace (`ip netns exec`, which also mounts the pod's resolv.conf and hosts), with
 * stdout/stderr into a CRI-format log file. With `dieWithEdgecore`, a crash of edgecore takes its
 * containers with it (the kernel sends SIGKILL), so a restarted edgecore never finds strays holding
 * the pods' ports; it starts them again from the cache.
 */
export class ProcessRuntime implements ContainerRuntime {
  readonly name = 'process'
  private readonly wrap: string[]

  constructor (private readonly init: ProcessRuntimeInit = {}) {
    this.wrap = (init.dieWithEdgecore ?? true) && SETPRIV !== undefined ? [SETPRIV, '--pdeathsig', 'KILL', '--'] : []
  }

  private command (cmd: SandboxedCommand): string[] {
    const exe = resolveExecutable(cmd.argv[0] ?? '', cmd.env.PATH)
    const inNs = cmd.netns !== undefined ? ['ip', 'netns', 'exec', cmd.netns] : []
    return [...this.wrap, ...inNs, ...mountWrapper(cmd.mounts ?? []), exe, ...cmd.argv.slice(1)]
  }

  exec (cmd: SandboxedCommand, stdio: StdioOptions): ChildProcess {
    const [file, ...args] = this.command(cmd)
    return spawn(file!, args, { cwd: cmd.cwd, env: cmd.env, stdio, detached: true })
  }

  async start (launch: ContainerLaunch): Promise<RunningContainer> {
    const argv = this.command(launch)
    const log = new ContainerLogWriter(launch.logFile, this.init.log)
    await log.open()
    const child = spawn(argv[0]!, argv.slice(1), { cwd: launch.cwd, env: launch.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true })
    const spawned = await new Promise<Error | undefined>(resolve => {
      child.once('spawn', () => { resolve(undefined) })
      child.once('error', err => { resolve(err) })
    })
    if (spawned !== undefined || child.pid === undefined) {
      await log.close()
      throw new EdgedError('EDGED_START_FAILED', `cannot start ${launch.argv[0] ?? ''}: ${spawned?.message ?? 'no pid'}`, { cause: spawned })
    }
    child.stdout!.on('data', (d: Buffer) => { log.write('stdout', d) })
    child.stderr!.on('data', (d: Buffer) => { log.write('stderr', d) })
    const pid = child.pid
    const exited = new Promise<ContainerExit>(resolve => {
      child.once('close', (code, signal) => {
        const exit = { exitCode: code ?? (signal !== null ? 128 + signalNumber(signal) : 1), signal, finishedAt: new Date() }
        void log.close().finally(() => { resolve(exit) })
      })
    })
    return {
      pid,
      startedAt: new Date(),
      exited,
      kill: (signal) => {
        try { process.kill(-pid, signal) } catch { try { process.kill(pid, signal) } catch { /* already gone */ } }
      }
    }
  }
}

/**
 * Bind mounts need a mount namespace: `unshare --mount` (as root; unprivileged, a user namespace maps the
 * user to root inside) with private propagation, so nothing leaks to the node, then a small sh script
 * binds each volume (creating a missing mount point, as a container runtime does in its rootfs — here
 * that is the node's filesystem) and execs the container. Paths travel as arguments, never in the script.
 */
const MOUNT_SCRIPT = [
  'set -e',
  'while [ "$1" != "--" ]; do',
  '  src=$1; dst=$2; ro=$3; shift 3',
  '  if [ -d "$src" ]; then mkdir -p "$dst"; else mkdir -p "$(dirname "$dst")"; [ -e "$dst" ] || : > "$dst"; fi',
  '  mount --bind "$src" "$dst"',
  '  if [ "$ro" = ro ]; then mount -o remount,bind,ro "$dst"; fi',
  'done',
  'shift',
  'exec "$@"'
].join('\n')

function mountWrapper (mounts: Mount[]): string[] {
  if (mounts.length === 0) return []
  const userns = process.getuid?.() === 0 ? [] : ['--user', '--map-root-user']
  return ['unshare', ...userns, '--mount', '--propagation', 'private', '--', '/bin/sh', '-c', MOUNT_SCRIPT, 'edged-mounts', ...mounts.flatMap(m => [m.source, m.target, m.readOnly ? 'ro' : 'rw']), '--']
}

const SIGNALS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGABRT: 6, SIGKILL: 9, SIGSEGV: 11, SIGPIPE: 13, SIGALRM: 14, SIGTERM: 15 }
const signalNumber = (s: string): number => SIGNALS[s] ?? 0
