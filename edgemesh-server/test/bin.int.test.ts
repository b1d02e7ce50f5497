import { execFile } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadOrCreatePeerKey } from '@edgemesh/mesh'

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)))
const bin = join(root, 'edgemesh-server/src/bin/edgemesh-server.ts')

async function runBin (args: string[]): Promise<{ code: number, stdout: string, stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ['--conditions=source', '--import', 'tsx', bin, ...args], { cwd: root, timeout: 60_000 })
    return { code: 0, stdout, stderr }
  } catch (err) {
    const e = err as { code?: number, stdout?: string, stderr?: string }
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' }
  }
}

describe('edgemesh-server binary', () => {
  let dir: string
  beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), 'edgemesh-server-bin-')) })
  afterAll(async () => { await rm(dir, { recursive: true, force: true }) })

  it('refuses to start on an unknown config key and names it and the file', async () => {
    const file = join(dir, 'bad.yaml')
    await writeFile(file, 'identity: { certFile: a, caFile: b }\nlimits: { relayDataLimit: 5 }\n')
    const r = await runBin(['--config', file])
    expect(r.code).toBe(1)
    expect(r.stderr).toContain('limits.relayDataLimit')
    expect(r.stderr).toContain(file)
  })

  it('prints the peer id of the key it creates in the data dir', async () => {
    const file = join(dir, 'ok.yaml')
    await writeFile(file, `dataDir: ${join(dir, 'data')}\nidentity: { certFile: a, caFile: b }\n`)
    const r = await runBin(['--config', file, '--print-peer-id'])
    expect(r.code).toBe(0)
    const key = await loadOrCreatePeerKey(join(dir, 'data'))
    expect(r.stdout.trim()).toBe(key.peerId.toString())
  })
})
