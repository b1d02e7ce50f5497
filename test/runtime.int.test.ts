// The project runs on Node 24 LTS everywhere: the test runner, the `node` that npm scripts and
// `#!/usr/bin/env node` shebangs resolve on PATH, and the built daemons started the way `npm start`
// and the systemd units start them. A silent fallback to a machine's older system Node fails here.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { access, mkdtemp, readFile, rm } from 'node:fs/promises'
import { request } from 'node:https'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parse } from 'yaml'
import { afterEach, describe, expect, it } from 'vitest'
import { firstLine, writeEdgeMeshServerConfig } from './helpers/daemons.js'

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)))
const MIN_MAJOR = 24

const major = (version: string): number => Number(/^v?(\d+)\./.exec(version)?.[1] ?? NaN)

async function built (path: string): Promise<string> {
  const file = join(ROOT, path)
  await access(file).catch(() => { throw new Error(`${path} is not built: run \`npm run build\` (npm test builds first)`) })
  return file
}

describe('Node.js runtime', () => {
  const children: ChildProcess[] = []
  const dirs: string[] = []
  afterEach(async () => {
    for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL')
    for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true })
  })

  it(`runs the test runner on Node >= ${MIN_MAJOR}`, () => {
    expect(major(process.version)).toBeGreaterThanOrEqual(MIN_MAJOR)
  })

  it('resolves `node` on PATH (npm scripts, shebangs) to Node 24 or newer', () => {
    const r = spawnSync('node', ['-p', 'process.version'], { encoding: 'utf8' })
    expect(r.status).toBe(0)
    expect(major(r.stdout.trim())).toBeGreaterThanOrEqual(MIN_MAJOR)
  })

  it('runs the built cloudcore, started as npm start does, on Node 24 (its /version says so)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'runtime-cc-'))
    dirs.push(dir)
    const child = spawn('node', [await built('cloud-core/dist/src/bin/cloudcore.js'), '--data-dir', dir, '--port', '0', '--hub-port', '0', '--bootstrap-port', '0'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
    children.push(child)
    await firstLine(child, l => l.startsWith('export KUBECONFIG='))
    const kc = parse(await readFile(join(dir, 'admin.kubeconfig'), 'utf8')) as { clusters: Array<{ cluster: { server: string, 'certificate-authority-data': string } }>, users: Array<{ user: Record<string, string> }> }
    const cluster = kc.clusters[0]!.cluster
    const user = kc.users[0]!.user
    const b64 = (s: string | undefined): Buffer | undefined => s === undefined ? undefined : Buffer.from(s, 'base64')
    const body = await new Promise<string>((resolve, reject) => {
      const req = request(new URL('/version', cluster.server), {
        ca: b64(cluster['certificate-authority-data']),
        cert: b64(user['client-certificate-data']),
        key: b64(user['client-key-data']),
        headers: user.token !== undefined ? { Authorization: `Bearer ${user.token}` } : {}
      }, res => { let s = ''; res.setEncoding('utf8').on('data', (d: string) => { s += d }).on('end', () => { resolve(s) }) })
      req.on('error', reject).end()
    })
    const info = JSON.parse(body) as { goVersion: string }
    expect(info.goVersion).toMatch(/^node\d+\./)
    expect(major(info.goVersion.slice('node'.length))).toBeGreaterThanOrEqual(MIN_MAJOR)
  })

  it('runs the built edgemesh-server on Node 24 (its ready line says so)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'runtime-ems-'))
    dirs.push(dir)
    const config = await writeEdgeMeshServerConfig(dir)
    const child = spawn('node', [await built('edgemesh-server/dist/src/bin/edgemesh-server.js'), '--config', config], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
    children.push(child)
    const ready = JSON.parse(await firstLine(child, l => l.includes('"ready":true'))) as { node: string }
    expect(major(ready.node)).toBeGreaterThanOrEqual(MIN_MAJOR)
  })
})
