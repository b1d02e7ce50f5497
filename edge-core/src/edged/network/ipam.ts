import { readFile, rename, writeFile, mkdir } from 'node:fs/promises'
import { dirname } from 'node:path'
import { EdgedError } from '../errors.js'

/** An IPv4 CIDR parsed into numbers. */
export interface Cidr { base: number, prefix: number, size: number }

/** A dotted IPv4 address as a number; undefined when it is not one. */
export function ipNumber (ip: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip)
  const o = m?.slice(1, 5).map(Number)
  if (o === undefined || o.some(x => x > 255)) return undefined
  return o[0]! * 2 ** 24 + o[1]! * 65536 + o[2]! * 256 + o[3]!
}

export function parseCidr (cidr: string): Cidr {
  const [ip = '', p = ''] = cidr.split('/')
  const raw = ipNumber(ip)
  const prefix = /^\d{1,2}$/.test(p) ? Number(p) : NaN
  if (raw === undefined || !(prefix >= 8 && prefix <= 30)) {
    throw new EdgedError('EDGED_NETWORK_FAILED', `pod CIDR "${cidr}" is not an IPv4 CIDR with a prefix of /8 to /30`)
  }
  const size = 2 ** (32 - prefix)
  return { base: raw - (raw % size), prefix, size }
}

export const ipString = (n: number): string => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.')

/** The bridge's (gateway's) address: the CIDR's first host address. */
export const gatewayOf = (c: Cidr): string => ipString(c.base + 1)

/**
 * Pod addresses from the node's pod CIDR, persisted in one JSON file (written atomically) so a pod keeps
 * its address across edgecore restarts and reboots. The first host address is the bridge's; network and
 * broadcast addresses are never handed out. Not safe for two processes on one file (one edgecore per node).
 */
export class Ipam {
  private byOwner = new Map<string, string>()
  private used = new Set<string>()
  private loaded = false
  private next = 0
  private writing: Promise<void> = Promise.resolve()

  constructor (private readonly file: string, private readonly cidr: Cidr) {}

  private async load (): Promise<void> {
    if (this.loaded) return
    let text: string | undefined
    try { text = await readFile(this.file, 'utf8') } catch (err) { if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err }
    if (text !== undefined) {
      let parsed: unknown
      try { parsed = JSON.parse(text) } catch { parsed = undefined }
      const owners = (parsed as { owners?: unknown } | undefined)?.owners
      if (typeof owners !== 'object' || owners === null) throw new EdgedError('EDGED_STATE_INVALID', `IPAM file ${this.file} is not an edged IPAM file`)
      for (const [owner, ip] of Object.entries(owners)) {
        if (typeof ip === 'string' && this.contains(ip)) { this.byOwner.set(owner, ip); this.used.add(ip) }
      }
    }
    this.loaded = true
  }

  private contains (ip: string): boolean {
    const n = ipNumber(ip)
    return n !== undefined && n >= this.cidr.base + 2 && n < this.cidr.base + this.cidr.size - 1
  }

  /** The owner's address: the one it already has, else a free one. Throws EDGED_IPAM_EXHAUSTED. */
  async allocate (owner: string): Promise<string> {
    await this.load()
    const have = this.byOwner.get(owner)
    if (have !== undefined) return have
    const hosts = this.cidr.size - 3 // minus network, gateway, broadcast
    for (let i = 0; i < hosts; i++) {
      const ip = ipString(this.cidr.base + 2 + ((this.next + i) % hosts))
      if (this.used.has(ip)) continue
      this.next = (this.next + i + 1) % hosts
      this.byOwner.set(owner, ip)
      this.used.add(ip)
      await this.persist()
      return ip
    }
    throw new EdgedError('EDGED_IPAM_EXHAUSTED', `no free address in pod CIDR ${ipString(this.cidr.base)}/${this.cidr.prefix} (${this.used.size} in use)`)
  }

  async release (owner: string): Promise<void> {
    await this.load()
    const ip = this.byOwner.get(owner)
    if (ip === undefined) return
    this.byOwner.delete(owner)
    this.used.delete(ip)
    await this.persist()
  }

  async owners (): Promise<Map<string, string>> {
    await this.load()
    return new Map(this.byOwner)
  }

  private async persist (): Promise<void> {
    const text = JSON.stringify({ cidr: `${ipString(this.cidr.base)}/${this.cidr.prefix}`, owners: Object.fromEntries(this.byOwner) }, null, 1)
    const write = async (): Promise<void> => {
      await mkdir(dirname(this.file), { recursive: true })
      const tmp = `${this.file}.tmp`
      await writeFile(tmp, text, { mode: 0o600 })
      await rename(tmp, this.file)
    }
    this.writing = this.writing.then(write, write)
    await this.writing
  }
}
