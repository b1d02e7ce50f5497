// `npm run bundle` makes a daemon one self-contained file: copied alone into an empty directory
// (no node_modules anywhere above it), it starts and serves with nothing but Node 24.
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { copyFile, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { firstLine, writeEdgeMeshServerConfig } from './helpers/daemons.js'

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)))

describe('single-file bundle (npm run bundle)', () => {
  let dir: string
  const children: ChildProcess[] = []
  beforeAll(async () => {
    // Bundles from the compiled entry point, which npm test builds before vitest runs.
    await promisify(execFile)(process.execPath, [join(ROOT, 'scripts/bundle.mjs'), 'edgemesh-server'], { cwd: ROOT, timeout: 120_000 })
    dir = await mkdtemp(join(tmpdir(), 'bundle-'))
    await copyFile(join(ROOT, 'dist-bundle/edgemesh-server.mjs'), join(dir, 'edgemesh-server.mjs'))
  }, 180_000)
  afterAll(async () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL')
    if (dir !== undefined) await rm(dir, { recursive: true, force: true })
  })

  it('starts edgemesh-server from the bundle alone in an empty directory and logs in pretty format', async () => {
    const config = await writeEdgeMeshServerConfig(dir)
    const child = spawn(process.execPath, [join(dir, 'edgemesh-server.mjs'), '--config', config, '--log-format', 'pretty'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] })
    children.push(child)
    const ready = JSON.parse(await firstLine(child, l => l.includes('"ready":true'))) as { ready: boolean, peerId: string, addrs: string[] }
    expect(ready.peerId).toMatch(/^12D3KooW/)
    expect(ready.addrs.some(a => a.startsWith('/ip4/127.0.0.1/tcp/'))).toBe(true)
    // The signal, if it died of one, so a failure says which (seen once in CI: exit code null).
    const code = await new Promise<number | string | null>(resolve => { child.on('exit', (c, sig) => { resolve(c ?? sig) }); child.kill('SIGTERM') })
    expect(code).toBe(0)
  })
})
