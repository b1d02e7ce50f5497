import { readdir } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { describe, expect, it } from 'vitest'
import { startMesh } from './harness.js'
import type { Topology } from './topology.js'

async function meshDirs (): Promise<string[]> {
  return (await readdir(tmpdir())).filter(n => n.startsWith('edgemesh-netns-'))
}

describe('startMesh', () => {
  it('removes its temp dir when starting the mesh fails', async () => {
    // Fails at the first process spawn, after the CA and the server identity were written; needs no root.
    const topo = { names: { cloud: 'cloud' }, spawn: () => { throw new Error('no network namespaces here') } } as unknown as Topology
    const before = await meshDirs()
    await expect(startMesh(topo)).rejects.toThrow('no network namespaces here')
    const leaked = (await meshDirs()).filter(n => !before.includes(n))
    expect(leaked).toEqual([])
  })
})
