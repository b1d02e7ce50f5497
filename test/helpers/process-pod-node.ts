// A test node behind the pod-stream contract, serving requests with real processes, files and sockets:
// exec/attach spawn the command, logs read a real file (and follow its growth), port-forward dials a
// real TCP port. The cloud reaches it through podStreamPair(), as a node served in-process would be.
import { spawn } from 'node:child_process'
import { open, readFile, stat } from 'node:fs/promises'
import { connect } from 'node:net'
import {
  POD_STREAM_CHANNEL as CH, PodStreamError, PodStreamRefusal, podStreamPair,
  type PodStream, type PodStreamHandler, type PodStreamOpener, type PodStreamRequest
} from '@edgemesh/common'

export interface ProcessPodNodeInit {
  /** The log file of a container, or undefined when it has none (refused with 404). */
  logFile: (namespace: string, pod: string, container: string) => string | undefined
  /** Where a forwarded pod port really listens (127.0.0.1), or undefined (the node reports an error). */
  targetPort: (port: number) => number | undefined
  /** Working directory of exec'd commands. */
  cwd?: string
}

const enc = (s: string): Uint8Array => Buffer.from(s, 'utf8')

export class ProcessPodStreamHandler implements PodStreamHandler {
  /** Every request served, for assertions on what the cloud sent. */
  readonly requests: PodStreamRequest[] = []

  constructor (private readonly init: ProcessPodNodeInit) {}

  async handle (req: PodStreamRequest, accept: () => PodStream, signal: AbortSignal): Promise<void> {
    this.requests.push(req)
    switch (req.kind) {
      case 'log': await this.logs(req, accept, signal); return
      case 'exec': await this.exec(req, accept); return
      case 'attach': throw new PodStreamRefusal(400, 'attach is not supported by the process test node')
      case 'portforward': await this.portForward(req, accept)
    }
  }

  private async logs (req: PodStreamRequest, accept: () => PodStream, signal: AbortSignal): Promise<void> {
    const container = req.container ?? ''
    if (req.previous === true) throw new PodStreamRefusal(400, `previous terminated container "${container}" in pod "${req.pod}" not found`)
    const path = this.init.logFile(req.namespace, req.pod, container)
    if (path === undefined) throw new PodStreamRefusal(404, `container "${container}" in pod "${req.pod}" has no logs`)
    let text = await readFile(path, 'utf8')
    if (req.tailLines !== undefined) {
      const lines = text.split('\n')
      const last = lines.at(-1) === '' ? lines.pop() : undefined
      text = lines.slice(Math.max(0, lines.length - req.tailLines)).join('\n') + (last !== undefined ? '\n' : '')
    }
    const s = accept()
    if (req.limitBytes !== undefined) text = text.slice(0, req.limitBytes)
    if (text !== '') await s.send(CH.stdout, enc(text))
    if (req.follow === true) {
      let offset = (await stat(path)).size
      const both = AbortSignal.any([signal, s.signal])
      while (!both.aborted) {
        await new Promise(resolve => setTimeout(resolve, 50))
        const size = (await stat(path)).size
        if (size <= offset) continue
        const fh = await open(path, 'r')
        const buf = Buffer.alloc(size - offset)
        await fh.read(buf, 0, buf.length, offset)
        await fh.close()
        offset = size
        await s.send(CH.stdout, buf).catch(() => {})
      }
      return
    }
    await s.end()
  }

  private async exec (req: PodStreamRequest, accept: () => PodStream): Promise<void> {
    const [cmd, ...args] = req.command ?? []
    if (cmd === undefined) throw new PodStreamRefusal(400, 'no command')
    const child = spawn(cmd, args, { cwd: this.init.cwd, stdio: ['pipe', 'pipe', 'pipe'] })
    const spawned = await new Promise<Error | undefined>(resolve => {
      child.once('spawn', () => { resolve(undefined) })
      child.once('error', err => { resolve(err) })
    })
    const s = accept()
    if (spawned !== undefined) {
      await s.send(CH.stderr, enc(`exec: ${spawned.message}\n`))
      await s.send(CH.status, enc(JSON.stringify({ metadata: {}, status: 'Failure', reason: 'InternalError', message: spawned.message })))
      await s.end()
      return
    }
    s.signal.addEventListener('abort', () => { child.kill('SIGKILL') }, { once: true })
    child.stdin.on('error', () => {})
    void (async () => {
      for await (const f of s) {
        if (f.channel === CH.stdin) child.stdin.write(f.data)
        else if (f.channel === CH.close && f.data[0] === CH.stdin) child.stdin.end()
      }
    })().catch(() => {})
    const out = async (channel: number, stream: NodeJS.ReadableStream): Promise<void> => {
      for await (const chunk of stream) await s.send(channel, chunk as Buffer).catch(() => {})
    }
    const outputs = Promise.all([out(CH.stdout, child.stdout), out(CH.stderr, child.stderr)])
    const code = await new Promise<number>(resolve => { child.once('close', c => { resolve(c ?? 1) }) })
    await outputs
    if (s.signal.aborted) return
    await s.send(CH.status, enc(JSON.stringify(code === 0
      ? { metadata: {}, status: 'Success' }
      : { metadata: {}, status: 'Failure', message: `command terminated with non-zero exit code: exit status ${code}`, reason: 'NonZeroExitCode', details: { causes: [{ reason: 'ExitCode', message: String(code) }] } })))
    await s.end()
  }

  private async portForward (req: PodStreamRequest, accept: () => PodStream): Promise<void> {
    const s = accept()
    const target = this.init.targetPort(req.port ?? 0)
    if (target === undefined) {
      await s.send(CH.status, enc(`failed to connect to localhost:${req.port ?? 0} inside the pod: connection refused`))
      await s.end()
      return
    }
    const sock = connect(target, '127.0.0.1')
    const connected = await new Promise<Error | undefined>(resolve => {
      sock.once('connect', () => { resolve(undefined) })
      sock.once('error', err => { resolve(err) })
    })
    if (connected !== undefined) {
      await s.send(CH.status, enc(`failed to connect to localhost:${req.port ?? 0}: ${connected.message}`))
      await s.end()
      return
    }
    s.signal.addEventListener('abort', () => { sock.destroy() }, { once: true })
    void (async () => {
      for await (const f of s) {
        if (f.channel === CH.stdin) sock.write(f.data)
        else if (f.channel === CH.close) sock.end()
      }
    })().catch(() => { sock.destroy() })
    for await (const chunk of sock) await s.send(CH.stdout, chunk as Buffer).catch(() => {})
    if (!s.signal.aborted) await s.end()
  }
}

/** A PodStreamOpener for the nodes in `connected`, each served by `handler` over an in-process pair. */
export class PairPodStreamOpener implements PodStreamOpener {
  constructor (private readonly handler: PodStreamHandler, readonly connected: Set<string>) {}

  async open (nodeName: string, req: PodStreamRequest, signal?: AbortSignal): Promise<PodStream> {
    if (!this.connected.has(nodeName)) throw new PodStreamError('POD_STREAM_UNAVAILABLE', `node ${nodeName} is not connected`)
    const [cloud, node] = podStreamPair()
    signal?.addEventListener('abort', () => { cloud.abort('the cloud side went away') }, { once: true })
    return await new Promise<PodStream>((resolve, reject) => {
      let accepted = false
      const accept = (): PodStream => { accepted = true; resolve(cloud); return node }
      this.handler.handle(req, accept, node.signal).then(
        () => { if (!accepted) reject(new PodStreamError('POD_STREAM_INVALID', 'the node neither accepted nor refused')) },
        (err: unknown) => { if (!accepted) reject(err); else node.abort(String(err)) }
      )
    })
  }
}
