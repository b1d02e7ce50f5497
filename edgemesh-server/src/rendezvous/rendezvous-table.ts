/** One agent's registration. `endpoint` is the public ip:port its NAT mapped for the registering connection. */
export interface Registration {
  nodeName: string
  peerId: string
  listenAddrs: string[]
  observedAddrs: string[]
  endpoint?: { ip: string, port: number }
  /** Id of the libp2p connection the registration arrived on (the agent's fixed-port link). */
  connectionId?: string
  expiresAt: number
}

export interface RendezvousTableInit {
  /** @default 2048 */
  maxEntries?: number
  /** Injected clock for tests. @default Date.now */
  now?: () => number
}

/** nodeName → registration with TTL. Expired entries vanish on read and on every write. */
export class RendezvousTable {
  private readonly entries = new Map<string, Registration>()
  private readonly maxEntries: number
  private readonly now: () => number

  constructor (init: RendezvousTableInit = {}) {
    this.maxEntries = init.maxEntries ?? 2048
    this.now = init.now ?? Date.now
  }

  /** Returns false when the table is full of other live nodes. */
  put (reg: Omit<Registration, 'expiresAt'>, ttlMs: number): boolean {
    this.sweep()
    if (!this.entries.has(reg.nodeName) && this.entries.size >= this.maxEntries) return false
    this.entries.set(reg.nodeName, { ...reg, expiresAt: this.now() + ttlMs })
    return true
  }

  get (nodeName: string): Registration | undefined {
    const e = this.entries.get(nodeName)
    if (e === undefined) return undefined
    if (e.expiresAt <= this.now()) { this.entries.delete(nodeName); return undefined }
    return e
  }

  remainingMs (reg: Registration): number {
    return Math.max(0, reg.expiresAt - this.now())
  }

  get size (): number { this.sweep(); return this.entries.size }

  clear (): void { this.entries.clear() }

  private sweep (): void {
    const now = this.now()
    for (const [name, e] of this.entries) if (e.expiresAt <= now) this.entries.delete(name)
  }
}
