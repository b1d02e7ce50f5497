import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { gatewayOf, Ipam, parseCidr } from '../../src/edged/network/ipam.js'

let dir: string | undefined
afterEach(async () => { if (dir !== undefined) await rm(dir, { recursive: true, force: true }) })

describe('Ipam', () => {
  it('hands out host addresses after the gateway, keeps them per owner across instances, and reuses released ones', async () => {
    dir = await mkdtemp(join(tmpdir(), 'ipam-'))
    const file = join(dir, 'ipam.json')
    const cidr = parseCidr('10.9.8.0/29')
    expect(gatewayOf(cidr)).toBe('10.9.8.1')
    const a = new Ipam(file, cidr)
    const ips = [await a.allocate('p1'), await a.allocate('p2'), await a.allocate('p3')]
    expect(ips).toEqual(['10.9.8.2', '10.9.8.3', '10.9.8.4'])
    expect(await a.allocate('p2')).toBe('10.9.8.3')
    // A restarted edgecore (a new instance on the same file) gives each pod its address back.
    const b = new Ipam(file, cidr)
    expect(await b.allocate('p3')).toBe('10.9.8.4')
    await b.allocate('p4'); await b.allocate('p5')
    // /29: .2-.6 are hosts (.0 network, .1 gateway, .7 broadcast).
    await expect(b.allocate('p6')).rejects.toMatchObject({ code: 'EDGED_IPAM_EXHAUSTED' })
    await b.release('p1')
    expect(await b.allocate('p6')).toBe('10.9.8.2')
  })

  it('refuses a corrupt file with EDGED_STATE_INVALID and a bad CIDR with EDGED_NETWORK_FAILED', async () => {
    dir = await mkdtemp(join(tmpdir(), 'ipam-'))
    const file = join(dir, 'ipam.json')
    await writeFile(file, 'not json')
    await expect(new Ipam(file, parseCidr('10.0.0.0/24')).allocate('x')).rejects.toMatchObject({ code: 'EDGED_STATE_INVALID' })
    for (const bad of ['10.0.0.0', '10.0.0.300/24', '10.0.0.0/31', 'fd00::/64']) expect(() => parseCidr(bad)).toThrow(expect.objectContaining({ code: 'EDGED_NETWORK_FAILED' }))
  })
})
