import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

// Each binary loads only its own layer. A *built* entry point, run by plain node (no `source`
// condition, no tsx), under a loader hook that records the URL of every ESM module node loads:
// edgemesh-server loads none of the agent (tunnel service, DNS, proxy) nor cloud-core; cloudcore
// loads the shared kube machinery and none of edge-core or the mesh products. The probe test proves
// the recorder sees an import it should flag.
const root = resolve(fileURLToPath(new URL('..', import.meta.url)))
const bin = join(root, 'edgemesh-server/dist/src/bin/edgemesh-server.js')
const cloudcoreBin = join(root, 'cloud-core/dist/src/bin/cloudcore.js')
const edgecoreBin = join(root, 'edge-core/dist/src/bin/edgecore.js')
const under = (pkg: string): string => join(root, pkg) + '/'
const run = promisify(execFile)

const HOOKS = `import { appendFileSync } from 'node:fs'
export async function load (url, context, next) {
  appendFileSync(process.env.EDGEMESH_LOAD_LOG, url + '\\n')
  return await next(url, context)
}
`

describe('module graph of a binary', () => {
  let dir: string
  let register: string

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'edgemesh-module-graph-'))
    await writeFile(join(dir, 'hooks.mjs'), HOOKS)
    register = join(dir, 'register.mjs')
    await writeFile(register, `import { register } from 'node:module'\nregister(${JSON.stringify(pathToFileURL(join(dir, 'hooks.mjs')).href)})\n`)
    // Incremental: a no-op when the tree is already built.
    await run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-b', join(root, 'edgemesh-server'), join(root, 'cloud-core'), join(root, 'edge-core')], { cwd: root, timeout: 170_000 })
  }, 180_000)

  afterAll(async () => { await rm(dir, { recursive: true, force: true }) })

  async function loadedBy (entry: string, args: string[], log: string): Promise<string[]> {
    await run(process.execPath, ['--import', register, entry, ...args], { cwd: root, timeout: 30_000, env: { ...process.env, EDGEMESH_LOAD_LOG: log } })
      .catch((err: { code?: number }) => { if (typeof err.code !== 'number') throw err })
    return (await readFile(log, 'utf8')).split('\n').filter(l => l.startsWith('file:')).map(u => fileURLToPath(u))
  }

  it('edgemesh-server loads no edgemesh-agent module (tunnel service, NAT, DNS, proxy) and none of cloud-core', async () => {
    const loaded = await loadedBy(bin, ['--help'], join(dir, 'bin.log'))
    // The recorder saw the real graph: the server, the shared mesh package and libp2p.
    expect(loaded).toContain(join(root, 'edgemesh-server/dist/src/server.js'))
    expect(loaded).toContain(join(root, 'mesh/dist/src/identity/mesh-auth.js'))
    expect(loaded.some(f => f.includes('/node_modules/libp2p/'))).toBe(true)
    expect(loaded.filter(f => f.startsWith(under('edgemesh-agent')) || f.startsWith(under('cloud-core')))).toEqual([])
  })

  it('cloudcore loads the shared kube machinery and none of edge-core or the mesh products', async () => {
    const loaded = await loadedBy(cloudcoreBin, ['--help'], join(dir, 'cloudcore.log'))
    expect(loaded).toContain(join(root, 'cloud-core/dist/src/bin/cli.js'))
    expect(loaded.some(f => f.startsWith(under('kube/dist/src/server')))).toBe(true)
    expect(loaded.filter(f => ['edge-core', 'mesh', 'edgemesh-agent', 'edgemesh-server'].some(p => f.startsWith(under(p))))).toEqual([])
  })

  it('would notice an agent import: the recorder lists the agent modules a script pulls in', async () => {
    // Resolved from the repo root, where the workspace links live.
    const linked = join(root, 'edgemesh-server/dist/probe-module-graph.mjs')
    await writeFile(linked, "import '@edgemesh/edgemesh-agent'\n")
    try {
      const loaded = await loadedBy(linked, [], join(dir, 'probe.log'))
      expect(loaded).toContain(join(root, 'edgemesh-agent/dist/src/tunnel/tunnel-service.js'))
    } finally {
      await rm(linked, { force: true })
    }
  })

  it('edgecore loads the shared kube machinery and none of cloud-core (nor its etcd client or schemas) nor the mesh products', async () => {
    const loaded = await loadedBy(edgecoreBin, ['--help'], join(dir, 'edgecore.log'))
    expect(loaded).toContain(join(root, 'edge-core/dist/src/bin/cli.js'))
    expect(loaded.some(f => f.startsWith(under('kube') + 'dist/src/server/'))).toBe(true)
    expect(loaded.filter(f => ['cloud-core', 'edgemesh-agent', 'edgemesh-server'].some(p => f.startsWith(under(p))))).toEqual([])
    // The cloud's heavy parts stay out of the edge binary.
    expect(loaded.filter(f => f.includes('/node_modules/etcd3/') || f.includes('/node_modules/kubernetes-types/'))).toEqual([])
  })

  it('edgemesh-server declares no runtime dependency on the agent', async () => {
    const pkg = JSON.parse(await readFile(join(root, 'edgemesh-server/package.json'), 'utf8')) as { dependencies?: Record<string, string> }
    expect(Object.keys(pkg.dependencies ?? {})).toContain('@edgemesh/mesh')
    expect(Object.keys(pkg.dependencies ?? {})).not.toContain('@edgemesh/edgemesh-agent')
  })
})
