// Starting built daemons as a user would, for tests and benchmarks that need the real process.
import { type ChildProcess } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { createCA } from '@edgemesh/common'
import { issueNodeCert, loadOrCreatePeerKey } from '@edgemesh/mesh'

/** First stdout line matching `pred`; rejects with the child's stderr when it exits or times out. */
export async function firstLine (child: ChildProcess, pred: (line: string) => boolean, timeoutMs = 45_000): Promise<string> {
  let stderr = ''
  child.stderr?.setEncoding('utf8').on('data', (d: string) => { stderr = (stderr + d).slice(-4000) })
  return await new Promise<string>((resolve, reject) => {
    const t = setTimeout(() => { reject(new Error(`timed out; stderr: ${stderr}`)) }, timeoutMs)
    child.on('exit', code => { clearTimeout(t); reject(new Error(`exited ${code}; stderr: ${stderr}`)) })
    createInterface({ input: child.stdout! }).on('line', line => { if (pred(line)) { clearTimeout(t); resolve(line) } })
  })
}

/**
 * Writes a loopback-only edgemesh-server config (fresh CA, server key and certificate, ports 0)
 * into `dir` and returns its path.
 */
export async function writeEdgeMeshServerConfig (dir: string): Promise<string> {
  const ca = await createCA()
  const key = await loadOrCreatePeerKey(join(dir, 'data'))
  const cert = await issueNodeCert(ca, 'edgemesh-server', key.peerId)
  await writeFile(join(dir, 'server.crt'), cert.certPem)
  await writeFile(join(dir, 'ca.crt'), ca.certPem)
  const file = join(dir, 'server.yaml')
  await writeFile(file, [
    'listen: ["/ip4/127.0.0.1/tcp/0"]',
    `dataDir: ${join(dir, 'data')}`,
    `identity: { certFile: ${join(dir, 'server.crt')}, caFile: ${join(dir, 'ca.crt')} }`,
    'http: { host: 127.0.0.1, port: 0 }',
    'log: { level: warn }'
  ].join('\n') + '\n')
  return file
}
