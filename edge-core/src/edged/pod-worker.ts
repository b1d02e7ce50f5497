import { mkdir, readFile, rm, writeFile, rename, readdir } from 'node:fs/promises'
import { AbortError, hasCode, silentLogger, sleep, type Logger } from '@edgemesh/common'
import type { Container, ContainerState, PodStatus } from 'kubernetes-types/core/v1.js'
import type { Pod } from '@edgemesh/kube/machinery'
import { containerEnv, expandArgv, type EnvSources } from './container-env.js'
import type { EdgedError } from './errors.js'
import type { ImageTable } from './image-table.js'
import type { PodNetwork, PodSandbox } from './network/pod-network.js'
import { buildPodStatus, nowRfc3339, type ContainerRecord, type PodView } from './pod-status.js'
import { runProbeLoop, type ProbeTarget } from './probes.js'
import { containerMounts, materialiseVolumes, type VolumeSources } from './volumes.js'
import type { ContainerRuntime, RunningContainer, SandboxedCommand } from './process-runtime.js'

export interface PodWorkerInit {
  /** The pod's directory (state, logs, scratch). */
  dir: string
  hostIP: string
  /** First restart back-off; doubles per crash up to `backoffMaxMs`, reset after 10 min of running. @default 10_000 */
  backoffInitialMs: number
  /** @default 300_000 */
  backoffMaxMs: number
  /** How often a pod waiting for configuration (a missing ConfigMap...) retries. @default 5000 */
  configRetryMs: number
}

export interface PodWorkerComponents {
  runtime: ContainerRuntime
  network: PodNetwork
  images: ImageTable
  env: EnvSources & VolumeSources
  /** Called with each new status (the caller sends it only if it changed). */
  onStatus: (pod: Pod, status: PodStatus) => void
  logger?: Logger
}

/** What survives edgecore restarts for one pod: the restart counts and the last terminations. */
interface PersistedState {
  restartCounts: Record<string, number>
  lastStates: Record<string, ContainerState>
  initDone: boolean
  startTime?: string
  /** Containers that had a running instance when this was written (an edgecore crash restarts them). */
  running?: Record<string, boolean>
}

interface Live {
  record: ContainerRecord
  running?: RunningContainer
  /** Aborts the instance's probes. */
  probes?: AbortController
  /** Set when edged itself killed the instance (liveness failure, termination). */
  killedFor?: string
  wake?: () => void
}

const RESET_BACKOFF_AFTER_MS = 10 * 60_000

/**
 * Runs one pod: its sandbox (network), init containers in order, then each container under a supervisor
 * that applies the restart policy with back-off (CrashLoopBackOff), runs its probes, and reports every
 * state change. `terminate` stops it gracefully: SIGTERM to every container, SIGKILL after the grace period.
 * Restart counts and last terminations are persisted, so they stay right across edgecore restarts.
 */
export class PodWorker {
  private pod: Pod
  private readonly log: Logger
  private readonly ac = new AbortController()
  private readonly live = new Map<string, Live>()
  private initLive: Live[] = []
  private sandbox?: PodSandbox
  private failure?: { reason: string, message: string }
  private state: PersistedState = { restartCounts: {}, lastStates: {}, initDone: false }
  private lastStatus?: PodStatus
  private runLoop?: Promise<void>
  private configWake?: () => void
  /** Where each volume lives (after materialiseVolumes succeeded once). */
  private volumes?: Map<string, string>

  constructor (pod: Pod, private readonly c: PodWorkerComponents, private readonly init: PodWorkerInit) {
    this.pod = pod
    this.log = (c.logger ?? silentLogger()).child({ component: 'pod-worker', pod: `${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}` })
    const mk = (cont: Container, isInit: boolean): Live => ({ record: { name: cont.name, image: cont.image ?? '', init: isInit, restartCount: 0, state: { waiting: { reason: 'ContainerCreating' } }, ready: false, started: false } })
    this.initLive = (pod.spec?.initContainers ?? []).map(x => mk(x, true))
    for (const x of pod.spec?.containers ?? []) this.live.set(x.name, mk(x, false))
  }

  get uid (): string { return this.pod.metadata?.uid ?? '' }
  get current (): Pod { return this.pod }
  get ip (): string | undefined { return this.sandbox?.ip }
  get netns (): string | undefined { return this.sandbox?.netns }
  get status (): PodStatus | undefined { return this.lastStatus }

  /** The running instance's pid, per container (for usage and exec). */
  pids (): Array<{ container: string, pid: number }> {
    return [...this.live.values()].filter(l => l.running !== undefined).map(l => ({ container: l.record.name, pid: l.running!.pid }))
  }

  /** Resolves when the container's current instance exits; undefined when it is not running. */
  instanceExited (container: string): Promise<unknown> | undefined { return this.live.get(container)?.running?.exited }

  /** Restart count of a container (for the log file of the current and previous instance). */
  restartCount (container: string): number | undefined { return this.live.get(container)?.record.restartCount }

  /** A running container's env and working dir, for exec. Undefined when it is not running. */
  sandboxFor (container: string, argv: string[]): SandboxedCommand | undefined {
    const spec = this.pod.spec?.containers?.find(x => x.name === container)
    if (spec === undefined || this.live.get(container)?.running === undefined) return undefined
    return { argv, env: this.envOf(spec), cwd: spec.workingDir ?? this.init.dir, netns: this.sandbox?.netns, mounts: this.volumes === undefined ? [] : containerMounts(spec, this.volumes) }
  }

  logFile (container: string, instance: number): string {
    return `${this.init.dir}/logs/${container}/${instance}.log`
  }

  /** A newer version of the same pod (labels, annotations; the container specs of a pod are immutable). */
  update (pod: Pod): void {
    this.pod = pod
  }

  /** Something the pod may be waiting for changed (a ConfigMap or Secret arrived or changed): retry now, refresh its volumes. */
  poke (): void {
    if (this.volumes !== undefined) this.refreshVolumes().catch((err: unknown) => { this.log.warn({ code: (err as EdgedError).code, err: (err as Error).message }, 'volumes not refreshed') })
    this.configWake?.()
    for (const l of this.live.values()) l.wake?.()
  }

  start (): void {
    this.runLoop ??= this.run().catch(err => {
      if (!this.ac.signal.aborted) this.log.error({ err }, 'pod worker failed')
    })
  }

  /** Stops every container (SIGTERM, SIGKILL after `graceSeconds`); with `remove`, also the network, files and address. */
  async terminate (graceSeconds: number, remove: boolean): Promise<void> {
    this.ac.abort(new AbortError('pod terminating'))
    const all = [...this.initLive, ...this.live.values()]
    for (const l of all) { l.probes?.abort(); l.killedFor = 'Terminated'; l.running?.kill('SIGTERM') }
    const exits = Promise.all(all.map(async l => await l.running?.exited))
    const grace = setTimeout(() => { for (const l of all) l.running?.kill('SIGKILL') }, Math.max(0, graceSeconds) * 1000)
    await exits
    clearTimeout(grace)
    await this.runLoop
    if (remove) {
      await this.c.network.teardown(this.uid)
      await rm(this.init.dir, { recursive: true, force: true })
    }
  }

  private emit (): void {
    const view: PodView = {
      pod: this.pod,
      init: this.initLive.map(l => l.record),
      containers: [...this.live.values()].map(l => l.record),
      podIP: this.sandbox?.ip,
      hostIP: this.init.hostIP,
      startTime: this.state.startTime,
      failure: this.failure
    }
    const status = buildPodStatus(view, this.lastStatus)
    this.lastStatus = status
    this.c.onStatus(this.pod, status)
  }

  private async loadState (): Promise<void> {
    try {
      const s = JSON.parse(await readFile(`${this.init.dir}/state.json`, 'utf8')) as PersistedState
      if (typeof s.restartCounts === 'object' && s.restartCounts !== null) this.state = { ...this.state, ...s }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.log.warn({ code: 'EDGED_STATE_INVALID', err }, 'pod state unreadable; starting over')
    }
    for (const l of [...this.initLive, ...this.live.values()]) {
      l.record.restartCount = this.state.restartCounts[l.record.name] ?? 0
      const last = this.state.lastStates[l.record.name]
      if (last !== undefined) l.record.lastState = last
    }
  }

  private async saveState (): Promise<void> {
    for (const l of [...this.initLive, ...this.live.values()]) {
      this.state.restartCounts[l.record.name] = l.record.restartCount
      if (l.record.lastState !== undefined) this.state.lastStates[l.record.name] = l.record.lastState
    }
    const tmp = `${this.init.dir}/state.json.tmp`
    await writeFile(tmp, JSON.stringify(this.state))
    await rename(tmp, `${this.init.dir}/state.json`)
  }

  private async run (): Promise<void> {
    const signal = this.ac.signal
    await mkdir(this.init.dir, { recursive: true })
    await this.loadState()
    const restored = Object.keys(this.state.restartCounts).length > 0
    this.state.startTime ??= nowRfc3339()
    this.emit()
    // The sandbox first; a failure here fails every container's start, retried with back-off.
    for (let attempt = 0; this.sandbox === undefined; attempt++) {
      try {
        this.sandbox = await this.c.network.setup({ uid: this.uid, namespace: this.pod.metadata?.namespace ?? '', name: this.pod.metadata?.name ?? '', hostNetwork: this.pod.spec?.hostNetwork === true }, signal)
        this.failure = undefined
      } catch (err) {
        if (signal.aborted) return
        this.failure = { reason: 'FailedCreatePodSandBox', message: (err as Error).message }
        for (const l of this.live.values()) l.record.state = { waiting: { reason: 'ContainerCreating', message: (err as Error).message } }
        this.log.warn({ code: (err as EdgedError).code, err: (err as Error).message }, 'pod sandbox failed')
        this.emit()
        await sleep(Math.min(this.init.backoffInitialMs * 2 ** attempt, this.init.backoffMaxMs), signal).catch(() => {})
        if (signal.aborted) return
      }
    }
    if (restored) this.log.info({ ip: this.sandbox.ip }, 'pod restored from the node cache')
    this.emit()
    if (!this.state.initDone) {
      for (const l of this.initLive) {
        const ok = await this.runInit(l, signal)
        if (!ok) return
      }
      this.state.initDone = true
      await this.saveState()
    } else {
      for (const l of this.initLive) l.record.state = { terminated: { exitCode: 0, reason: 'Completed' } }
    }
    await Promise.all([...this.live.values()].map(async l => { await this.supervise(l, signal, restored) }))
  }

  private spec (l: Live): Container {
    const list = l.record.init ? this.pod.spec?.initContainers : this.pod.spec?.containers
    return list!.find(x => x.name === l.record.name)!
  }

  private envOf (spec: Container): Record<string, string> {
    return containerEnv(this.pod, spec, { podIP: this.sandbox?.ip ?? '', hostIP: this.init.hostIP }, this.c.env)
  }

  private async refreshVolumes (): Promise<Map<string, string>> {
    this.volumes = await materialiseVolumes(this.pod, `${this.init.dir}/volumes`, this.c.env, { podIP: this.sandbox?.ip ?? '', hostIP: this.init.hostIP })
    return this.volumes
  }

  /** Starts one instance; on a configuration error the container waits with the reason and this returns undefined. */
  private async startInstance (l: Live): Promise<RunningContainer | undefined> {
    const spec = this.spec(l)
    try {
      const env = this.envOf(spec)
      const argv = this.c.images.argv({ image: spec.image, command: spec.command === undefined ? undefined : expandArgv(spec.command, env), args: spec.args === undefined ? undefined : expandArgv(spec.args, env) })
      const mounts = containerMounts(spec, this.volumes ?? await this.refreshVolumes())
      const cwd = spec.workingDir ?? this.init.dir
      await mkdir(cwd, { recursive: true }).catch(() => {})
      const running = await this.c.runtime.start({ argv, env, cwd, netns: this.sandbox?.netns, mounts, logFile: this.logFile(l.record.name, l.record.restartCount) })
      l.record.state = { running: { startedAt: nowRfc3339(running.startedAt) } }
      l.record.containerID = `process://${running.pid}`
      l.record.started = spec.startupProbe === undefined
      l.record.ready = spec.readinessProbe === undefined && l.record.started
      void this.pruneLogs(l.record.name, l.record.restartCount)
      return running
    } catch (err) {
      const code = (err as EdgedError).code
      const reason = code === 'EDGED_IMAGE_UNKNOWN' ? 'ErrImagePull' : code === 'EDGED_CONTAINER_CONFIG' ? 'CreateContainerConfigError' : code === 'EDGED_START_FAILED' ? 'RunContainerError' : undefined
      if (reason === undefined) throw err
      l.record.state = { waiting: { reason, message: (err as Error).message } }
      l.record.ready = false
      this.log.warn({ code, container: l.record.name, err: (err as Error).message }, 'container cannot start')
      return undefined
    }
  }

  /** Keeps the logs of the current and the previous instance. */
  private async pruneLogs (container: string, current: number): Promise<void> {
    const dir = `${this.init.dir}/logs/${container}`
    for (const f of await readdir(dir).catch(() => [] as string[])) {
      const n = Number(/^(\d+)\.log/.exec(f)?.[1])
      if (Number.isInteger(n) && n < current - 1) await rm(`${dir}/${f}`, { force: true })
    }
  }

  private async waitConfig (signal: AbortSignal): Promise<void> {
    await new Promise<void>(resolve => {
      const t = setTimeout(resolve, this.init.configRetryMs)
      this.configWake = () => { clearTimeout(t); resolve() }
      signal.addEventListener('abort', () => { clearTimeout(t); resolve() }, { once: true })
    })
    this.configWake = undefined
  }

  private async runInit (l: Live, signal: AbortSignal): Promise<boolean> {
    const policy = this.pod.spec?.restartPolicy ?? 'Always'
    for (let crashes = 0; !signal.aborted;) {
      const running = await this.startInstance(l)
      this.emit()
      if (running === undefined) { await this.waitConfig(signal); continue }
      l.running = running
      const exit = await running.exited
      l.running = undefined
      const terminated = { exitCode: exit.exitCode, reason: exit.exitCode === 0 ? 'Completed' : 'Error', startedAt: l.record.state.running?.startedAt, finishedAt: nowRfc3339(exit.finishedAt), containerID: l.record.containerID }
      l.record.state = { terminated }
      if (exit.exitCode === 0 || signal.aborted) { this.emit(); return exit.exitCode === 0 }
      if (policy === 'Never') { this.emit(); await this.saveState(); return false }
      l.record.lastState = { terminated }
      l.record.restartCount++
      await this.saveState()
      await this.backoff(l, crashes++, signal)
    }
    return false
  }

  private async backoff (l: Live, crashes: number, signal: AbortSignal): Promise<void> {
    const delay = Math.min(this.init.backoffInitialMs * 2 ** crashes, this.init.backoffMaxMs)
    l.record.state = { waiting: { reason: 'CrashLoopBackOff', message: `back-off ${Math.round(delay / 1000)}s restarting failed container=${l.record.name} pod=${this.pod.metadata?.name ?? ''}_${this.pod.metadata?.namespace ?? ''}(${this.uid})` } }
    this.emit()
    await sleep(delay, signal).catch(() => {})
  }

  private async supervise (l: Live, signal: AbortSignal, restored: boolean): Promise<void> {
    const policy = this.pod.spec?.restartPolicy ?? 'Always'
    let crashes = 0
    // An instance that ran before edgecore restarted is a restart of its container.
    if (restored && this.state.running?.[l.record.name] === true) l.record.restartCount++
    while (!signal.aborted) {
      const running = await this.startInstance(l)
      if (running === undefined) {
        this.emit()
        await new Promise<void>(resolve => { l.wake = resolve; void this.waitConfig(signal).then(resolve) })
        l.wake = undefined
        continue
      }
      l.running = running
      l.killedFor = undefined
      this.state.running = { ...this.state.running, [l.record.name]: true }
      await this.saveState()
      this.emit()
      this.startProbes(l, running, signal)
      const exit = await running.exited
      l.probes?.abort()
      l.running = undefined
      l.record.ready = false
      const startedAt = l.record.state.running?.startedAt
      const reason = exit.exitCode === 0 ? 'Completed' : 'Error'
      const terminated = { exitCode: exit.exitCode, reason, ...(startedAt !== undefined ? { startedAt } : {}), finishedAt: nowRfc3339(exit.finishedAt), ...(l.record.containerID !== undefined ? { containerID: l.record.containerID } : {}) }
      // Stopped by edgecore (not deleted): the marker stays, so the next start counts a restart.
      if (signal.aborted) { l.record.state = { terminated }; await this.saveState(); this.emit(); return }
      if (this.state.running !== undefined) delete this.state.running[l.record.name]
      const restart = policy === 'Always' || (policy === 'OnFailure' && exit.exitCode !== 0)
      if (!restart) {
        l.record.state = { terminated }
        await this.saveState()
        this.emit()
        return
      }
      this.log.info({ container: l.record.name, exitCode: exit.exitCode, why: l.killedFor ?? 'exited' }, 'container will be restarted')
      const ranMs = exit.finishedAt.getTime() - Date.parse(startedAt ?? '')
      if (ranMs > RESET_BACKOFF_AFTER_MS) crashes = 0
      l.record.lastState = { terminated }
      l.record.restartCount++
      await this.saveState()
      // The first restart is immediate, as kubelet's; later ones back off.
      if (crashes > 0) await this.backoff(l, crashes - 1, signal)
      crashes++
    }
  }

  private startProbes (l: Live, running: RunningContainer, signal: AbortSignal): void {
    const spec = this.spec(l)
    const ac = new AbortController()
    l.probes = ac
    const s = AbortSignal.any([signal, ac.signal])
    const target: ProbeTarget = {
      podIP: this.sandbox?.ip ?? '127.0.0.1',
      container: spec,
      exec: async (argv, timeoutMs) => await this.execProbe(spec, argv, timeoutMs)
    }
    const kill = (why: string, message?: string): void => {
      this.log.info({ container: spec.name, why, message }, 'probe failed: killing the container')
      l.killedFor = why
      running.kill('SIGTERM')
      const grace = (this.pod.spec?.terminationGracePeriodSeconds ?? 30) * 1000
      setTimeout(() => { running.kill('SIGKILL') }, grace).unref()
    }
    const liveness = async (): Promise<void> => {
      if (spec.livenessProbe !== undefined) await runProbeLoop('liveness', spec.livenessProbe, target, (ok, msg) => { if (!ok) kill('liveness', msg) }, s)
    }
    const readiness = async (): Promise<void> => {
      if (spec.readinessProbe !== undefined) await runProbeLoop('readiness', spec.readinessProbe, target, ok => { l.record.ready = ok && l.record.started; this.emit() }, s)
    }
    void (async () => {
      if (spec.startupProbe !== undefined) {
        let started = false
        await runProbeLoop('startup', spec.startupProbe, target, (ok, msg) => { if (ok) started = true; else kill('startup', msg) }, s)
        if (!started) return
        l.record.started = true
        if (spec.readinessProbe === undefined) l.record.ready = true
        this.emit()
      }
      await Promise.all([liveness(), readiness()])
    })().catch(err => { this.log.warn({ err }, 'probe loop failed') })
  }

  private async execProbe (spec: Container, argv: string[], timeoutMs: number): Promise<number> {
    const cmd: SandboxedCommand = { argv, env: this.envOf(spec), cwd: spec.workingDir ?? this.init.dir, netns: this.sandbox?.netns, mounts: this.volumes === undefined ? [] : containerMounts(spec, this.volumes) }
    let child
    try {
      child = this.c.runtime.exec(cmd, 'ignore')
    } catch (err) {
      if (hasCode(err, 'EDGED_START_FAILED')) return 126
      throw err
    }
    return await new Promise<number>(resolve => {
      const t = setTimeout(() => { try { process.kill(-child.pid!, 'SIGKILL') } catch { /* already gone */ } }, timeoutMs)
      child.once('error', () => { clearTimeout(t); resolve(126) })
      child.once('close', code => { clearTimeout(t); resolve(code ?? 137) })
    })
  }
}
