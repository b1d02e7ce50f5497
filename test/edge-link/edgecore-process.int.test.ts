// The built `edgecore` binary as a real process against cloudcore: it registers, serves its pods from
// 127.0.0.1, and after `kill -9` comes back offline with the same objects and resourceVersions.
import { execFile } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { eventually, type KubeObject } from '@edgemesh/common'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { CloudCore } from '../../cloud-core/src/index.js'
import { loopbackCloudCore } from '../helpers/cloudcore.js'
import { joinCluster, saveNodeCredentials } from '../../edge-core/src/index.js'
import { EdgecoreProcess } from '../helpers/edgecore-process.js'

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)))
const NODE = 'edge-p1'
const run = promisify(execFile)

describe('edgecore process', () => {
  let dir: string
  let cc: CloudCore
  let metaPort = 0

  const edgecore = new EdgecoreProcess()
  const start = async (config: string): Promise<void> => {
    const line = await edgecore.start(config, l => l.includes('meta-server on http://'))
    metaPort = Number(/:(\d+)$/.exec(line)?.[1])
  }
  const kill9 = async (): Promise<void> => { await edgecore.kill9() }
  const pods = async (): Promise<string[]> => {
    const list = await (await fetch(`http://127.0.0.1:${metaPort}/api/v1/namespaces/default/pods`)).json() as { items: KubeObject[] }
    return list.items.map(p => `${p.metadata.name ?? ''}@${p.metadata.resourceVersion ?? ''}`).sort()
  }
  const writeConfig = async (name: string, hubUrl: string): Promise<string> => {
    const file = join(dir, name)
    await writeFile(file, [
      `nodeName: ${NODE}`,
      `dataDir: ${join(dir, 'edge')}`,
      `edgeHub: { urls: ["${hubUrl}"] }`,
      'metaServer: { port: 0 }',
      'node: { leaseRenewMs: 300 }',
      // Only the cache is under test here: pods' statuses would change their resourceVersions.
      'edged: { enabled: false }',
      'log: { level: warn }'
    ].join('\n') + '\n')
    return file
  }

  beforeAll(async () => {
    // Incremental: a no-op when the tree is already built.
    await run(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-b', join(ROOT, 'edge-core')], { cwd: ROOT, timeout: 170_000 })
    dir = await mkdtemp(join(tmpdir(), 'edgecore-process-'))
    cc = loopbackCloudCore(join(dir, 'cloud'))
    await cc.start()
    await saveNodeCredentials(join(dir, 'edge'), await joinCluster({ server: `https://127.0.0.1:${cc.bootstrapPort}`, token: await cc.issueJoinToken(), nodeName: NODE }))
  }, 180_000)

  afterAll(async () => {
    await kill9()
    await cc?.stop()
    if (dir !== undefined) await rm(dir, { recursive: true, force: true })
  })

  it('registers the node Ready and serves the pods assigned to it', async () => {
    await start(await writeConfig('edgecore.yaml', `wss://127.0.0.1:${cc.hubPort}`))
    const NODES = { group: '', version: 'v1', resource: 'nodes' }
    const node = await eventually(async () => await cc.core.client.get(NODES, NODE).catch(() => undefined), 20_000, 'node registered')
    expect(node.metadata.labels).toHaveProperty(['node-role.kubernetes.io/edge'])
    const { stdout } = await run('kubectl', ['--kubeconfig', cc.kubeconfigPath, 'get', 'node', NODE])
    expect(stdout).toMatch(new RegExp(`^${NODE}\\s+Ready\\s+edge\\s`, 'm'))
    for (const name of ['a', 'b']) {
      await cc.core.client.create({ group: '', version: 'v1', resource: 'pods', namespace: 'default' }, { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' }, spec: { nodeName: NODE, containers: [{ name: 'c', image: 'x' }] } })
    }
    await eventually(async () => (await pods()).length === 2, 15_000, 'pods at the edge')
  })

  it('after kill -9, restarted while the cloud is unreachable, serves the same objects and resourceVersions', async () => {
    const before = await pods()
    await kill9()
    // Nothing listens on port 1: the node starts offline.
    await start(await writeConfig('offline.yaml', 'wss://127.0.0.1:1'))
    expect(await pods()).toEqual(before)
  })
})
