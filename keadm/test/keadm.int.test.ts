// keadm as an operator runs it, all real processes on loopback with distinct ports: init starts
// cloudcore in the background, gettoken prints a token, join starts two edgecores, kubectl sees both
// nodes Ready, and reset stops exactly what keadm started and removes its files.
import { execFile } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { eventually } from '@edgemesh/common'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)))
const KEADM = join(ROOT, 'keadm/dist/src/bin/keadm.js')
const exec = promisify(execFile)

async function keadm (...args: string[]): Promise<{ code: number, stdout: string, stderr: string }> {
  try {
    const r = await exec(process.execPath, [KEADM, ...args], { cwd: ROOT, timeout: 120_000 })
    return { code: 0, stdout: r.stdout, stderr: r.stderr }
  } catch (err) {
    const e = err as { code?: number, stdout?: string, stderr?: string }
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' }
  }
}

/** A port free right now (the daemons bind it a moment later; loopback only). */
async function freePort (): Promise<number> {
  return await new Promise((resolve, reject) => {
    const s = createServer().once('error', reject).listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number }
      s.close(() => { resolve(port) })
    })
  })
}

/** True while `pid` runs (a zombie waiting to be reaped counts as gone). */
function alive (pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))
  } catch {
    return false
  }
}

describe('keadm', () => {
  let dir: string
  const cloud = (): string => join(dir, 'cloud')
  const edge = (n: number): string => join(dir, `edge-${n}`)
  let hubPort: number
  let bootstrapPort: number
  let token: string
  const pids: number[] = []

  beforeAll(async () => {
    await exec(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-b', join(ROOT, 'keadm')], { cwd: ROOT, timeout: 170_000 })
    dir = await mkdtemp(join(tmpdir(), 'keadm-'))
  }, 180_000)

  afterAll(async () => {
    // Whatever a failed test left running: only the pids keadm reported starting.
    for (const pid of pids) { try { process.kill(pid, 'SIGKILL') } catch { /* already gone */ } }
    if (dir !== undefined) await rm(dir, { recursive: true, force: true })
  })

  it('init creates the PKI and config, starts cloudcore in the background and prints the KUBECONFIG line', async () => {
    hubPort = await freePort()
    bootstrapPort = await freePort()
    const r = await keadm('init', '--data-dir', cloud(), '--advertise-address', '127.0.0.1', '--api-port', String(await freePort()), '--hub-port', String(hubPort), '--bootstrap-port', String(bootstrapPort))
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/^\[1\] data dir: /m)
    expect(r.stdout).toMatch(/^\[4\] cloudcore started: pid \d+/m)
    expect(r.stdout.trim().split('\n').at(-1)).toBe(`export KUBECONFIG=${join(cloud(), 'admin.kubeconfig')}`)
    const state = JSON.parse(await readFile(join(cloud(), 'cloudcore.keadm.json'), 'utf8')) as { pid: number }
    pids.push(state.pid)
    expect(alive(state.pid)).toBe(true)
    expect(await keadm('init', '--data-dir', cloud())).toMatchObject({ code: 1, stderr: expect.stringContaining('KEADM_ALREADY_RUNNING') })
  })

  it('gettoken prints a join token (as JSON with --output json)', async () => {
    const r = await keadm('gettoken', '--data-dir', cloud(), '--output', 'json')
    expect(r.code).toBe(0)
    token = (JSON.parse(r.stdout) as { token: string }).token
    expect(token).toMatch(/^[0-9a-f]{64}\.[\w-]+\.[\w-]+\.[\w-]+$/)
    const empty = join(dir, 'empty')
    expect(await keadm('gettoken', '--data-dir', empty)).toMatchObject({ code: 1, stderr: expect.stringContaining('KEADM_NOT_INITIALISED') })
  })

  it('join starts two edgecores that kubectl then shows Ready', async () => {
    for (const n of [1, 2]) {
      const r = await keadm('join', `--cloudcore-ipport=127.0.0.1:${hubPort}`, `--certport=${bootstrapPort}`, `--token=${token}`, `--node-name=edge-k${n}`, '--data-dir', edge(n), '--meta-server-port', String(await freePort()), '--output', 'json')
      expect(r.stderr).toBe('')
      const out = JSON.parse(r.stdout) as { pid: number, metaServer: string, steps: Array<{ step: string }> }
      pids.push(out.pid)
      expect(out.steps.map(s => s.step)).toEqual(['CA pinned by the token and node certificate issued', 'credentials', 'config', 'edgecore started'])
      expect((await fetch(`${out.metaServer}/healthz`)).status).toBe(200)
    }
    const kubeconfig = join(cloud(), 'admin.kubeconfig')
    await eventually(async () => {
      const { stdout } = await exec('kubectl', ['--kubeconfig', kubeconfig, 'get', 'nodes', '--no-headers'])
      return ['edge-k1', 'edge-k2'].every(n => new RegExp(`^${n}\\s+Ready\\s+edge\\s`, 'm').test(stdout))
    }, 30_000, 'both nodes Ready')
  })

  it('refuses a bad token before starting anything', async () => {
    const r = await keadm('join', `--cloudcore-ipport=127.0.0.1:${hubPort}`, '--token=nope', '--node-name=edge-bad', '--data-dir', edge(9))
    expect(r).toMatchObject({ code: 1, stderr: expect.stringContaining('JOIN_TOKEN_MALFORMED') })
    expect(existsSync(join(edge(9), 'edgecore.keadm.json'))).toBe(false)
  })

  it('reset refuses a directory keadm did not set up, and leaves it alone', async () => {
    const other = join(dir, 'not-ours')
    await rm(other, { recursive: true, force: true })
    await mkdir(other)
    await writeFile(join(other, 'keep.txt'), 'x')
    expect(await keadm('reset', '--data-dir', other)).toMatchObject({ code: 1, stderr: expect.stringContaining('KEADM_NOT_OURS') })
    expect(await readdir(other)).toEqual(['keep.txt'])
  })

  it('reset stops exactly the processes keadm started and removes their data dirs', async () => {
    for (const d of [edge(1), edge(2), cloud()]) {
      const state = JSON.parse(await readFile(join(d, `${d === cloud() ? 'cloudcore' : 'edgecore'}.keadm.json`), 'utf8')) as { pid: number }
      const r = await keadm('reset', '--data-dir', d)
      expect(r.code).toBe(0)
      expect(r.stdout).toMatch(/(cloudcore|edgecore) stopped: pid \d+/)
      await eventually(() => !alive(state.pid), 10_000, `pid ${state.pid} gone`)
      expect(existsSync(d)).toBe(false)
    }
  })
})
