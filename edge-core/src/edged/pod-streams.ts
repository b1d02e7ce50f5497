import { connect } from 'node:net'
import type { Readable } from 'node:stream'
import { POD_STREAM_CHANNEL, PodStreamRefusal, silentLogger, type Logger, type PodStream, type PodStreamHandler, type PodStreamRequest } from '@edgemesh/common'
import { readContainerLog } from './container-log.js'
import type { Edged } from './edged.js'
import type { PodWorker } from './pod-worker.js'
import type { ContainerRuntime } from './process-runtime.js'

export interface EdgedPodStreamsComponents {
  edged: Pick<Edged, 'worker'>
  runtime: ContainerRuntime
  logger?: Logger
}

const te = new TextEncoder()

/** Sends a readable's chunks on a channel, pausing it while the stream has no room (backpressure). */
async function pump (from: Readable, channel: number, to: PodStream): Promise<void> {
  for await (const chunk of from) await to.send(channel, chunk as Buffer)
}

/**
 * The node's side of `kubectl logs/exec/port-forward` for the pods edged runs: logs from the containers'
 * log files (current or previous instance, tail/since/timestamps/limit, follow until the instance ends),
 * exec as a process in the pod's network namespace with the container's environment and working dir,
 * port-forward as a TCP connection to the pod's address. Refusals carry the status and message
 * kube-apiserver/kubelet would give.
 */
export class EdgedPodStreams implements PodStreamHandler {
  private readonly log: Logger

  constructor (private readonly c: EdgedPodStreamsComponents) {
    this.log = (c.logger ?? silentLogger()).child({ component: 'pod-streams' })
  }

  async handle (req: PodStreamRequest, accept: () => PodStream, signal: AbortSignal): Promise<void> {
    const w = this.c.edged.worker(req.namespace, req.pod)
    if (w === undefined) throw new PodStreamRefusal(404, `pods "${req.pod}" not found on this node`)
    if (req.uid !== undefined && req.uid !== w.uid) throw new PodStreamRefusal(409, `pod "${req.pod}" on this node has uid ${w.uid}, not ${req.uid}`)
    this.log.debug({ kind: req.kind, pod: `${req.namespace}/${req.pod}`, container: req.container }, 'pod stream')
    switch (req.kind) {
      case 'log': await this.logs(w, req, accept, signal); return
      case 'exec': await this.exec(w, req, accept, signal); return
      case 'portforward': await this.portForward(w, req, accept, signal); return
      case 'attach': throw new PodStreamRefusal(400, 'attach is not supported by the process runtime (containers have no stdin); use kubectl logs -f or exec')
    }
  }

  private container (w: PodWorker, req: PodStreamRequest): string {
    const names = (w.current.spec?.containers ?? []).map(c => c.name)
    const inits = (w.current.spec?.initContainers ?? []).map(c => c.name)
    if (req.container === undefined) {
      if (names.length === 1) return names[0]!
      throw new PodStreamRefusal(400, `a container name must be specified for pod ${req.pod}, choose one of: [${names.join(' ')}]`)
    }
    if (!names.includes(req.container) && !inits.includes(req.container)) throw new PodStreamRefusal(400, `container ${req.container} is not valid for pod ${req.pod}`)
    return req.container
  }

  private async logs (w: PodWorker, req: PodStreamRequest, accept: () => PodStream, signal: AbortSignal): Promise<void> {
    const container = this.container(w, req)
    const count = w.restartCount(container) ?? 0
    if (req.previous === true && count === 0) throw new PodStreamRefusal(400, `previous terminated container "${container}" in pod "${req.pod}" not found`)
    const instance = req.previous === true ? count - 1 : count
    const stream = accept()
    const since = req.sinceTime !== undefined ? new Date(req.sinceTime) : req.sinceSeconds !== undefined ? new Date(Date.now() - req.sinceSeconds * 1000) : undefined
    const follow = req.follow === true && req.previous !== true
    const until = follow ? (w.instanceExited(container) ?? Promise.resolve()) : undefined
    await readContainerLog(w.logFile(container, instance), {
      tailLines: req.tailLines, since, timestamps: req.timestamps, limitBytes: req.limitBytes, follow, until, signal: AbortSignal.any([signal, stream.signal])
    }, async chunk => { await stream.send(POD_STREAM_CHANNEL.stdout, chunk) })
    await stream.end()
  }

  private async exec (w: PodWorker, req: PodStreamRequest, accept: () => PodStream, signal: AbortSignal): Promise<void> {
    const container = this.container(w, req)
    const argv = req.command ?? []
    if (argv.length === 0) throw new PodStreamRefusal(400, 'you must specify at least one command for the container')
    const cmd = w.sandboxFor(container, argv)
    if (cmd === undefined) throw new PodStreamRefusal(400, `container ${container} is not running in pod ${req.pod}`)
    let child
    try {
      child = this.c.runtime.exec(cmd, [req.stdin === true ? 'pipe' : 'ignore', 'pipe', 'pipe'])
    } catch (err) {
      // Like runc: the exec starts, and fails with exit code 126/127 and a message.
      const stream = accept()
      await stream.send(POD_STREAM_CHANNEL.stderr, te.encode(`${(err as Error).message}\n`))
      await stream.send(POD_STREAM_CHANNEL.status, te.encode(JSON.stringify(exitStatus(127))))
      await stream.end()
      return
    }
    const stream = accept()
    const kill = (): void => { try { process.kill(-child.pid!, 'SIGKILL') } catch { /* gone */ } }
    const onAbort = (): void => { kill() }
    stream.signal.addEventListener('abort', onAbort, { once: true })
    signal.addEventListener('abort', onAbort, { once: true })
    const input = (async () => {
      try {
        for await (const f of stream) {
          if (f.channel === POD_STREAM_CHANNEL.stdin) {
            if (child.stdin !== null && !child.stdin.write(f.data)) await new Promise(resolve => child.stdin!.once('drain', resolve))
          } else if (f.channel === POD_STREAM_CHANNEL.close) child.stdin?.end()
        }
      } catch { /* aborted: the process is killed */ }
      child.stdin?.end()
    })()
    child.stdin?.on('error', () => {})
    const exited = new Promise<number>(resolve => { child.once('close', (code, sig) => { resolve(code ?? (sig !== null ? 137 : 1)) }) })
    const output = Promise.all([pump(child.stdout!, POD_STREAM_CHANNEL.stdout, stream), pump(child.stderr!, POD_STREAM_CHANNEL.stderr, stream)]).catch(() => { kill() })
    const code = await exited
    await output
    stream.signal.removeEventListener('abort', onAbort)
    signal.removeEventListener('abort', onAbort)
    if (!stream.signal.aborted) {
      await stream.send(POD_STREAM_CHANNEL.status, te.encode(JSON.stringify(exitStatus(code)))).catch(() => {})
      await stream.end()
    }
    void input
  }

  private async portForward (w: PodWorker, req: PodStreamRequest, accept: () => PodStream, signal: AbortSignal): Promise<void> {
    if (req.port === undefined) throw new PodStreamRefusal(400, 'port-forward needs a port')
    const host = w.netns !== undefined ? w.ip : '127.0.0.1'
    if (host === undefined) throw new PodStreamRefusal(400, `pod ${req.pod} has no network yet`)
    const stream = accept()
    const socket = connect({ host, port: req.port })
    const opened = await new Promise<Error | undefined>(resolve => { socket.once('connect', () => { resolve(undefined) }); socket.once('error', resolve) })
    if (opened !== undefined) {
      await stream.send(POD_STREAM_CHANNEL.status, te.encode(`error forwarding port ${req.port} to pod ${req.pod}: dial tcp ${host}:${req.port}: ${opened.message}`)).catch(() => {})
      await stream.end()
      return
    }
    const abort = (): void => { socket.destroy() }
    stream.signal.addEventListener('abort', abort, { once: true })
    signal.addEventListener('abort', abort, { once: true })
    socket.on('error', () => {})
    const inbound = (async () => {
      try {
        for await (const f of stream) {
          if (f.channel === POD_STREAM_CHANNEL.stdin) {
            if (!socket.write(f.data)) await new Promise(resolve => socket.once('drain', resolve))
          } else if (f.channel === POD_STREAM_CHANNEL.close) socket.end()
        }
        socket.end()
      } catch { socket.destroy() }
    })()
    await pump(socket, POD_STREAM_CHANNEL.stdout, stream).catch(() => { socket.destroy() })
    if (!stream.signal.aborted) await stream.end()
    await Promise.race([inbound, new Promise(resolve => setTimeout(resolve, 5000))])
    socket.destroy()
    stream.signal.removeEventListener('abort', abort)
    signal.removeEventListener('abort', abort)
  }
}

/** The metav1.Status kubectl reads from an exec's status channel. */
export function exitStatus (code: number): Record<string, unknown> {
  if (code === 0) return { metadata: {}, status: 'Success' }
  return {
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: error executing command, exit status ${code}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(code) }] }
  }
}
