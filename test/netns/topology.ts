import { execFile, execFileSync, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { promisify } from 'node:util'
import type { ChildProcess, SpawnOptions } from 'node:child_process'

const run = promisify(execFile)

export interface TopologyInit {
  /** router-b uses `MASQUERADE --random-fully` (a new random public port per flow): punching must fail. @default false */
  symmetric?: boolean
}

/** Namespace names of one run; each is unique (prefix + per-run suffix), so parallel runs never collide. */
export interface TopologyNames {
  wan: string
  cloud: string
  routerA: string
  routerB: string
  nodeA1: string
  nodeB1: string
}

export const ADDR = {
  cloud: '203.0.113.10',
  routerAWan: '203.0.113.21',
  routerBWan: '203.0.113.22',
  nodeA1: '10.1.0.11',
  nodeB1: '10.2.0.11'
} as const

/** Why netns tests cannot run here, or undefined when they can. */
export async function netnsUnavailable (): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return 'needs root (ip netns, iptables)'
  const probe = `emprobe${process.pid % 100000}`
  try {
    await run('ip', ['netns', 'add', probe])
    await run('ip', ['netns', 'exec', probe, 'iptables', '-L', '-n'])
  } catch (err) {
    return `ip netns / iptables unusable: ${(err as Error).message.split('\n')[0] ?? ''}`
  } finally {
    await run('ip', ['netns', 'del', probe]).catch(() => {})
  }
  return undefined
}

/**
 * The DESIGN.md §6 topology, for real: a WAN bridge with the cloud host and two NAT routers, one
 * node behind each. Routers MASQUERADE and drop unsolicited inbound like real edge gateways.
 * `destroy()` kills spawned processes and deletes every namespace; it also runs on process exit.
 */
export class Topology {
  readonly names: TopologyNames
  private readonly children = new Set<ChildProcess>()
  private readonly onExit = (): void => { this.destroySync() }
  private destroyed = false

  private constructor (readonly suffix: string, readonly init: TopologyInit) {
    const n = (role: string): string => `em${suffix}-${role}`
    this.names = { wan: n('wan'), cloud: n('cloud'), routerA: n('ra'), routerB: n('rb'), nodeA1: n('a1'), nodeB1: n('b1') }
  }

  static async create (init: TopologyInit = {}): Promise<Topology> {
    const suffix = (process.pid % 1296).toString(36).padStart(2, '0') + randomBytes(2).toString('hex').slice(0, 3)
    const t = new Topology(suffix, init)
    process.once('exit', t.onExit)
    try {
      await t.build()
    } catch (err) {
      await t.destroy()
      throw err
    }
    return t
  }

  /** Runs a command inside a namespace; rejects on non-zero exit. */
  async exec (ns: string, cmd: string[]): Promise<string> {
    const { stdout } = await run('ip', ['netns', 'exec', ns, ...cmd], { maxBuffer: 16 * 1024 * 1024 })
    return stdout
  }

  /** Spawns a process inside a namespace (e.g. `node --import tsx runner.ts`); killed on destroy(). */
  spawn (ns: string, cmd: string[], options: SpawnOptions = {}): ChildProcess {
    const child = spawn('ip', ['netns', 'exec', ns, ...cmd], { stdio: ['pipe', 'pipe', 'pipe'], ...options })
    this.children.add(child)
    child.once('exit', () => { this.children.delete(child) })
    return child
  }

  /** Drops everything between a router's WAN side and the cloud host (the relay/rendezvous path). */
  async blockCloud (router: string): Promise<void> {
    await this.exec(router, ['iptables', '-I', 'FORWARD', '1', '-d', ADDR.cloud, '-j', 'DROP'])
    await this.exec(router, ['iptables', '-I', 'FORWARD', '1', '-s', ADDR.cloud, '-j', 'DROP'])
  }

  async unblockCloud (router: string): Promise<void> {
    await this.exec(router, ['iptables', '-D', 'FORWARD', '-d', ADDR.cloud, '-j', 'DROP']).catch(() => {})
    await this.exec(router, ['iptables', '-D', 'FORWARD', '-s', ADDR.cloud, '-j', 'DROP']).catch(() => {})
  }

  /** A classic port forward on a router's WAN address to a node (baseline for benchmarks). */
  async portForward (router: string, port: number, to: string): Promise<void> {
    await this.exec(router, ['iptables', '-t', 'nat', '-A', 'PREROUTING', '-i', 'wan0', '-p', 'tcp', '--dport', String(port), '-j', 'DNAT', '--to-destination', `${to}:${port}`])
  }

  async destroy (): Promise<void> {
    if (this.destroyed) return
    this.destroyed = true
    process.off('exit', this.onExit)
    await Promise.all([...this.children].map(async c => { await killChild(c) }))
    for (const ns of Object.values(this.names)) await run('ip', ['netns', 'del', ns]).catch(() => {})
  }

  private destroySync (): void {
    if (this.destroyed) return
    this.destroyed = true
    // Best effort at exit: a process that already died or a namespace already gone is fine.
    for (const c of this.children) { try { c.kill('SIGKILL') } catch { /* already gone */ } }
    for (const ns of Object.values(this.names)) { try { execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' }) } catch { /* already gone */ } }
  }

  private async build (): Promise<void> {
    const { wan, cloud, routerA, routerB, nodeA1, nodeB1 } = this.names
    for (const ns of Object.values(this.names)) {
      await run('ip', ['netns', 'add', ns])
      await this.exec(ns, ['ip', 'link', 'set', 'lo', 'up'])
    }
    await this.exec(wan, ['ip', 'link', 'add', 'br0', 'type', 'bridge'])
    await this.exec(wan, ['ip', 'link', 'set', 'br0', 'up'])
    await this.wire(cloud, 'wan0', wan, 'c', true)
    await this.wire(routerA, 'wan0', wan, 'a', true)
    await this.wire(routerB, 'wan0', wan, 'b', true)
    await this.wire(nodeA1, 'eth0', routerA, 'l', false)
    await this.wire(nodeB1, 'eth0', routerB, 'l', false)
    await this.addr(cloud, 'wan0', `${ADDR.cloud}/24`)
    await this.router(routerA, ADDR.routerAWan, '10.1.0.1', false)
    await this.router(routerB, ADDR.routerBWan, '10.2.0.1', this.init.symmetric === true)
    await this.addr(nodeA1, 'eth0', `${ADDR.nodeA1}/24`)
    await this.addr(nodeB1, 'eth0', `${ADDR.nodeB1}/24`)
    await this.exec(nodeA1, ['ip', 'route', 'add', 'default', 'via', '10.1.0.1'])
    await this.exec(nodeB1, ['ip', 'route', 'add', 'default', 'via', '10.2.0.1'])
  }

  /**
   * A veth pair between `ns` (end renamed to `ifname`) and `peerNs`. On the WAN side the peer end is
   * enslaved to br0; on a router it becomes `lan0`. Root-namespace names carry the run suffix so
   * concurrent runs cannot clash (≤ 15 chars).
   */
  private async wire (ns: string, ifname: string, peerNs: string, tag: string, toBridge: boolean): Promise<void> {
    const a = `v${this.suffix}${tag}0`
    const b = `v${this.suffix}${tag}1`
    await run('ip', ['link', 'add', a, 'type', 'veth', 'peer', 'name', b])
    await run('ip', ['link', 'set', a, 'netns', ns])
    await run('ip', ['link', 'set', b, 'netns', peerNs])
    await this.exec(ns, ['ip', 'link', 'set', a, 'name', ifname])
    await this.exec(ns, ['ip', 'link', 'set', ifname, 'up'])
    if (toBridge) {
      await this.exec(peerNs, ['ip', 'link', 'set', b, 'master', 'br0'])
      await this.exec(peerNs, ['ip', 'link', 'set', b, 'up'])
    } else {
      await this.exec(peerNs, ['ip', 'link', 'set', b, 'name', 'lan0'])
      await this.exec(peerNs, ['ip', 'link', 'set', 'lan0', 'up'])
    }
  }

  private async addr (ns: string, ifname: string, cidr: string): Promise<void> {
    await this.exec(ns, ['ip', 'addr', 'add', cidr, 'dev', ifname])
  }

  private async router (ns: string, wanIp: string, lanIp: string, symmetric: boolean): Promise<void> {
    await this.addr(ns, 'wan0', `${wanIp}/24`)
    await this.addr(ns, 'lan0', `${lanIp}/24`)
    await this.exec(ns, ['sysctl', '-q', '-w', 'net.ipv4.ip_forward=1'])
    await this.exec(ns, ['iptables', '-t', 'nat', '-A', 'POSTROUTING', '-o', 'wan0', '-j', 'MASQUERADE', ...(symmetric ? ['--random-fully'] : [])])
    // Like a real gateway: unsolicited packets to the router itself vanish instead of drawing an RST
    // (an RST would turn every early punch SYN into a lost race; see notes/hole-punch.md).
    await this.exec(ns, ['iptables', '-A', 'INPUT', '-i', 'wan0', '-m', 'conntrack', '--ctstate', 'NEW,INVALID', '-j', 'DROP'])
  }
}

async function killChild (c: ChildProcess): Promise<void> {
  if (c.exitCode !== null || c.signalCode !== null) return
  const exited = new Promise<void>(resolve => { c.once('exit', () => { resolve() }) })
  c.kill('SIGTERM')
  const t = setTimeout(() => { c.kill('SIGKILL') }, 3_000)
  await exited
  clearTimeout(t)
}
