import { ConfigError, type KubeObject } from '@edgemesh/common'
import { ApiError, invalid, type FieldCause, type ObjectClient } from '@edgemesh/kube/machinery'
import { arr, rec, str, num } from './util.js'

/** An IPv4 CIDR as unsigned 32-bit numbers. */
export interface Cidr4 { base: number, size: number, prefix: number, text: string }

export function parseIPv4 (ip: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip)
  if (m === null) return undefined
  let n = 0
  for (let i = 1; i <= 4; i++) {
    const o = Number(m[i])
    if (o > 255) return undefined
    n = n * 256 + o
  }
  return n
}

export function formatIPv4 (n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.')
}

export function parseCidr4 (text: string): Cidr4 {
  const [ip, len] = text.split('/')
  const prefix = Number(len)
  const addr = ip === undefined ? undefined : parseIPv4(ip)
  // Below /28 there is no room for the reserved kubernetes IP plus a useful range.
  if (addr === undefined || len === undefined || !Number.isInteger(prefix) || prefix < 8 || prefix > 28) {
    throw new ConfigError(`serviceCIDR "${text}" must be an IPv4 CIDR with a prefix between /8 and /28`, { key: 'apiServer.serviceCIDR' })
  }
  const size = 2 ** (32 - prefix)
  const base = addr - (addr % size)
  return { base, size, prefix, text: `${formatIPv4(base)}/${prefix}` }
}

/** `30000-32767` → inclusive bounds. */
export function parsePortRange (text: string): { min: number, max: number } {
  const m = /^(\d+)-(\d+)$/.exec(text.trim())
  const min = Number(m?.[1]); const max = Number(m?.[2])
  if (m === null || min < 1 || max > 65535 || min > max) {
    throw new ConfigError(`nodePortRange "${text}" must look like 30000-32767`, { key: 'apiServer.nodePortRange' })
  }
  return { min, max }
}

export interface ServiceAllocatorInit {
  /** @default '10.96.0.0/12' */
  serviceCIDR?: string
  /** @default '30000-32767' */
  nodePortRange?: string
  /** How long a handed-out value stays reserved while its Service is not yet visible in a list. @default 60_000 */
  pendingTtlMs?: number
  /** @default Date.now */
  now?: () => number
}

const SERVICES = { group: '', version: 'v1', resource: 'services' } as const

function keyOf (obj: KubeObject): string {
  return `${obj.metadata.namespace ?? ''}/${obj.metadata.name ?? ''}`
}

/**
 * ClusterIP and NodePort allocation. The used set is derived from the stored Services at allocation
 * time (so deletes release automatically and restarts lose nothing), serialised by an in-instance
 * mutex. Values handed out but not yet persisted stay in `pending` so two concurrent creates can
 * never receive the same value. One instance per API server: several cloud-cores sharing etcd would
 * need allocation objects in the store instead.
 */
export class ServiceAllocator {
  readonly cidr: Cidr4
  readonly ports: { min: number, max: number }
  private readonly pendingTtlMs: number
  private readonly now: () => number
  private readonly pendingIPs = new Map<number, { owner: string, at: number }>()
  private readonly pendingPorts = new Map<number, { owner: string, at: number }>()
  private tail: Promise<void> = Promise.resolve()
  private nextIP = 0
  private nextPort = 0

  constructor (init: ServiceAllocatorInit = {}) {
    this.cidr = parseCidr4(init.serviceCIDR ?? '10.96.0.0/12')
    this.ports = parsePortRange(init.nodePortRange ?? '30000-32767')
    this.pendingTtlMs = init.pendingTtlMs ?? 60_000
    this.now = init.now ?? Date.now
  }

  /** The address reserved for the `default/kubernetes` Service. */
  get kubernetesIP (): string {
    return formatIPv4(this.cidr.base + 1)
  }

  inRange (ip: string): boolean {
    const n = parseIPv4(ip)
    return n !== undefined && n > this.cidr.base && n < this.cidr.base + this.cidr.size - 1
  }

  /**
   * Fills `spec.clusterIP(s)` and node ports of `svc` (mutating it), checking requested values.
   * `old` is the stored object on update: its own values never count as taken.
   */
  async allocate (svc: KubeObject, client: ObjectClient): Promise<void> {
    await this.locked(async () => { await this.allocateLocked(svc, client) })
  }

  /** Forgets pending reservations held by this Service (its values return to the pool once the list no longer shows them). */
  release (svc: KubeObject): void {
    const owner = keyOf(svc)
    for (const m of [this.pendingIPs, this.pendingPorts]) {
      for (const [k, v] of m) if (v.owner === owner) m.delete(k)
    }
  }

  private async locked (fn: () => Promise<void>): Promise<void> {
    const prev = this.tail
    let done!: () => void
    this.tail = new Promise<void>(resolve => { done = resolve })
    try {
      await prev
      await fn()
    } finally {
      done()
    }
  }

  private async allocateLocked (svc: KubeObject, client: ObjectClient): Promise<void> {
    const spec = rec(svc.spec)
    svc.spec = spec
    const owner = keyOf(svc)
    const name = svc.metadata.name ?? ''
    const type = str(spec.type) ?? 'ClusterIP'
    const list = await client.list(SERVICES)
    const usedIPs = new Map<number, string>()
    const usedPorts = new Map<number, string>()
    for (const other of list.items) {
      const otherKey = keyOf(other)
      if (otherKey === owner) continue
      const os = rec(other.spec)
      for (const ip of [str(os.clusterIP), ...arr(os.clusterIPs).map(str)]) {
        const n = ip === undefined ? undefined : parseIPv4(ip)
        if (n !== undefined) usedIPs.set(n, otherKey)
      }
      for (const p of arr(os.ports)) {
        const np = num(rec(p).nodePort)
        if (np !== undefined) usedPorts.set(np, otherKey)
      }
    }
    this.prune(this.pendingIPs, usedIPs, owner)
    this.prune(this.pendingPorts, usedPorts, owner)

    const causes: FieldCause[] = []
    if (type !== 'ExternalName') {
      const requested = str(spec.clusterIP) ?? str(arr(spec.clusterIPs)[0])
      if (requested === 'None') {
        spec.clusterIP = 'None'
        spec.clusterIPs = ['None']
      } else if (requested !== undefined && requested !== '') {
        const n = parseIPv4(requested)
        if (n === undefined || !this.inRange(requested)) {
          causes.push({ field: 'spec.clusterIPs[0]', message: `Invalid value: "${requested}": provided IP is not in the valid range. The range of valid IPs is ${this.cidr.text}`, reason: 'FieldValueInvalid' })
        } else if (usedIPs.has(n) || this.pendingIPs.has(n)) {
          causes.push({ field: 'spec.clusterIPs[0]', message: `Invalid value: "${requested}": provided IP is already allocated`, reason: 'FieldValueInvalid' })
        } else {
          this.pendingIPs.set(n, { owner, at: this.now() })
          spec.clusterIP = requested
          spec.clusterIPs = [requested]
        }
      } else {
        const n = this.pickIP(usedIPs)
        if (n === undefined) throw new ApiError('InternalError', `failed to allocate a serviceIP: range ${this.cidr.text} is full`)
        const ip = formatIPv4(n)
        this.pendingIPs.set(n, { owner, at: this.now() })
        spec.clusterIP = ip
        spec.clusterIPs = [ip]
      }
    }

    if (type === 'NodePort' || type === 'LoadBalancer') {
      const ports = arr(spec.ports)
      const mine = new Set<number>()
      ports.forEach((p, i) => {
        const r = rec(p)
        const np = num(r.nodePort)
        if (np === undefined || np === 0) return
        if (np < this.ports.min || np > this.ports.max) {
          causes.push({ field: `spec.ports[${i}].nodePort`, message: `Invalid value: ${np}: provided port is not in the valid range. The range of valid ports is ${this.ports.min}-${this.ports.max}`, reason: 'FieldValueInvalid' })
        } else if (usedPorts.has(np) || this.pendingPorts.has(np)) {
          causes.push({ field: `spec.ports[${i}].nodePort`, message: `Invalid value: ${np}: provided port is already allocated`, reason: 'FieldValueInvalid' })
        } else {
          mine.add(np)
        }
      })
      if (causes.length === 0) {
        for (const np of mine) this.pendingPorts.set(np, { owner, at: this.now() })
        for (const p of ports) {
          const r = rec(p)
          const np = num(r.nodePort)
          if (np !== undefined && np !== 0) continue
          const pick = this.pickPort(usedPorts)
          if (pick === undefined) throw new ApiError('InternalError', `failed to allocate a nodePort: range ${this.ports.min}-${this.ports.max} is full`)
          this.pendingPorts.set(pick, { owner, at: this.now() })
          r.nodePort = pick
        }
      }
    }
    if (causes.length > 0) {
      this.release(svc)
      throw invalid('Service', name, causes)
    }
  }

  /** Drops pending entries that are now visible in the store, belong to the caller, or expired. */
  private prune (pending: Map<number, { owner: string, at: number }>, used: Map<number, string>, owner: string): void {
    const cutoff = this.now() - this.pendingTtlMs
    for (const [k, v] of pending) {
      if (used.has(k) || v.owner === owner || v.at < cutoff) pending.delete(k)
    }
  }

  private pickIP (used: Map<number, string>): number | undefined {
    // Usable: base+2 .. broadcast-1 (network, kubernetes IP and broadcast are never handed out).
    const first = this.cidr.base + 2
    const count = this.cidr.size - 3
    for (let i = 0; i < count; i++) {
      const n = first + ((this.nextIP + i) % count)
      if (!used.has(n) && !this.pendingIPs.has(n)) {
        this.nextIP = (n - first + 1) % count
        return n
      }
    }
    return undefined
  }

  private pickPort (used: Map<number, string>): number | undefined {
    const count = this.ports.max - this.ports.min + 1
    for (let i = 0; i < count; i++) {
      const n = this.ports.min + ((this.nextPort + i) % count)
      if (!used.has(n) && !this.pendingPorts.has(n)) {
        this.nextPort = (n - this.ports.min + 1) % count
        return n
      }
    }
    return undefined
  }
}
