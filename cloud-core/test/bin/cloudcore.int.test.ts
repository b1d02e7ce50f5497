import { spawn } from 'node:child_process'
import { access, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'

const root = fileURLToPath(new URL('../../../', import.meta.url))
const tsx = join(root, 'node_modules/.bin/tsx')

describe('cloudcore binary', () => {
  let dir: string | undefined
  afterEach(async () => { if (dir !== undefined) await rm(dir, { recursive: true, force: true }) })

  it('prints the KUBECONFIG line once serving and exits 0 on SIGTERM', async () => {
    dir = await mkdtemp(join(tmpdir(), 'cc-bin-'))
    const child = spawn(tsx, ['--conditions=source', join(root, 'cloud-core/src/bin/cloudcore.ts'), '--data-dir', dir, '--port', '0', '--hub-port', '0', '--bootstrap-port', '0'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    child.stderr.setEncoding('utf8').on('data', (d: string) => { err += d })
    const line = await new Promise<string>((resolve, reject) => {
      const t = setTimeout(() => { reject(new Error(`no KUBECONFIG line; stderr: ${err}`)) }, 45_000)
      child.stdout.setEncoding('utf8').on('data', (d: string) => {
        out += d
        const m = /^export KUBECONFIG=.*$/m.exec(out)
        if (m !== null) { clearTimeout(t); resolve(m[0]) }
      })
    })
    expect(line).toBe(`export KUBECONFIG=${join(dir, 'admin.kubeconfig')}`)
    await access(join(dir, 'admin.kubeconfig'))
    const code = await new Promise<number | null>(resolve => { child.on('exit', c => { resolve(c) }); child.kill('SIGTERM') })
    expect(code).toBe(0)
  })

  it('exits 1 naming the key when the config file has an unknown key', async () => {
    dir = await mkdtemp(join(tmpdir(), 'cc-bin-'))
    const { writeFile } = await import('node:fs/promises')
    await writeFile(join(dir, 'bad.yaml'), 'apiServer:\n  prot: 1\n')
    const child = spawn(tsx, ['--conditions=source', join(root, 'cloud-core/src/bin/cloudcore.ts'), '--config', join(dir, 'bad.yaml')], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] })
    let err = ''
    child.stderr.setEncoding('utf8').on('data', (d: string) => { err += d })
    const code = await new Promise<number | null>(resolve => { child.on('exit', c => { resolve(c) }) })
    expect(code).toBe(1)
    expect(err).toContain('unknown key: "apiServer.prot"')
  })
})
