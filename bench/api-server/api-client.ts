// A minimal HTTPS client for the benchmark: raw node:https with the admin client certificate, so the
// client's own overhead stays small next to the server's (the bench shares 2 cores with it).
import { Agent, request } from 'node:https'
import { parse as parseYaml } from 'yaml'

export interface AdminCredentials {
  server: URL
  ca: string
  cert: string
  key: string
}

const b64 = (s: unknown): string => Buffer.from(String(s), 'base64').toString('utf8')

/** Reads the embedded-certificate kubeconfig cloudcore writes (admin.kubeconfig). */
export function credentialsFromKubeconfig (text: string): AdminCredentials {
  const doc = parseYaml(text) as { clusters?: Array<{ cluster?: Record<string, unknown> }>, users?: Array<{ user?: Record<string, unknown> }> }
  const cluster = doc.clusters?.[0]?.cluster
  const user = doc.users?.[0]?.user
  if (cluster === undefined || user === undefined) throw new Error('kubeconfig has no cluster or user')
  return {
    server: new URL(String(cluster.server)),
    ca: b64(cluster['certificate-authority-data']),
    cert: b64(user['client-certificate-data']),
    key: b64(user['client-key-data'])
  }
}

export interface WatchEventLine {
  type: string
  object: { metadata?: { name?: string, resourceVersion?: string } }
}

export class ApiClient {
  private readonly agent: Agent
  private readonly watchAgent: Agent

  constructor (private readonly creds: AdminCredentials, maxSockets: number) {
    const tls = { ca: creds.ca, cert: creds.cert, key: creds.key }
    this.agent = new Agent({ ...tls, keepAlive: true, maxSockets })
    // Watches hold their connection for their whole life; they must not queue behind each other.
    this.watchAgent = new Agent({ ...tls, keepAlive: false, maxSockets: Infinity })
  }

  /** One request; resolves with the parsed body on 2xx, rejects with the status and body otherwise. */
  async call<T = Record<string, any>> (method: string, path: string, body?: unknown): Promise<T> {
    return JSON.parse(await this.callText(method, path, body)) as T
  }

  /** One request; resolves with the body text on 2xx (e.g. /metrics), rejects with the status and body otherwise. */
  async callText (method: string, path: string, body?: unknown): Promise<string> {
    const payload = body === undefined ? undefined : JSON.stringify(body)
    return await new Promise<string>((resolve, reject) => {
      const req = request({
        agent: this.agent,
        host: this.creds.server.hostname,
        port: this.creds.server.port,
        method,
        path,
        headers: { Accept: 'application/json', ...(payload !== undefined ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) } : {}) }
      }, res => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => { chunks.push(c) })
        res.on('error', reject)
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8')
          const status = res.statusCode ?? 0
          if (status < 200 || status >= 300) { reject(new Error(`${method} ${path}: HTTP ${status} ${text.slice(0, 300)}`)); return }
          resolve(text)
        })
      })
      req.setTimeout(30_000, () => { req.destroy(new Error(`${method} ${path}: no response in 30 s`)) })
      req.on('error', reject)
      req.end(payload)
    })
  }

  /**
   * Opens a watch and resolves once the server answered 200 (so the watch is registered before any
   * write is timed). Every event line goes to `onEvent`; aborting `signal` closes the stream.
   */
  async watch (path: string, onEvent: (ev: WatchEventLine) => void, signal: AbortSignal): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      const req = request({
        agent: this.watchAgent,
        host: this.creds.server.hostname,
        port: this.creds.server.port,
        method: 'GET',
        path,
        signal,
        headers: { Accept: 'application/json' }
      }, res => {
        if (res.statusCode !== 200) { reject(new Error(`watch ${path}: HTTP ${String(res.statusCode)}`)); res.resume(); return }
        let buf = ''
        res.setEncoding('utf8')
        res.on('data', (chunk: string) => {
          buf += chunk
          let nl = buf.indexOf('\n')
          while (nl >= 0) {
            const line = buf.slice(0, nl)
            buf = buf.slice(nl + 1)
            if (line.trim() !== '') onEvent(JSON.parse(line) as WatchEventLine)
            nl = buf.indexOf('\n')
          }
        })
        res.on('error', () => {}) // aborts end the stream with an error by design
        resolve()
      })
      req.on('error', reject) // a no-op once the response resolved
      req.end()
    })
  }

  close (): void {
    this.agent.destroy()
    this.watchAgent.destroy()
  }
}
