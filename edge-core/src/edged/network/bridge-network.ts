import { createHash } from 'node:crypto'
import { mkdir, rm, writeFile } from 'node:fs/promises'
import { silentLogger, type Logger } from '@edgemesh/common'
import { EdgedError } from '../errors.js'
import { gatewayOf, Ipam, parseCidr, type Cidr } from './ipam.js'
import type { PodNetwork, PodNetworkRef, PodSandbox } from './pod-network.js'
import { run, runTolerating } from './run-ip.js'

export interface BridgeNetworkInit {
  /** The node bridge (≤ 15 characters). */
  bridge: string
  /** The node's pod CIDR; the bridge takes its first address. */
  podCIDR: string
  /** Prefix of pod namespace names; the rest is a hash of the pod uid. */
  netnsPrefix: string
  /** The IPAM file (pod uid → address). */
  ipamFile: string
  /** Pods' resolver (the mesh DNS address). */
  dnsServer: string
  clusterDomain: string
  /** Turn on IPv4 forwarding in the node's network namespace, so pods reach beyond the node. */
  ipForward: boolean
  /** The node's address: what hostNetwork pods get. */
  hostIP: string
  /** `/etc/netns` (where `ip netns exec` finds per-namespace resolv.conf and hosts). @default /etc/netns */
  etcNetns?: string
}

export interface BridgeNetworkComponents {
  logger?: Logger
}

const EXISTS = /File exists|already exists/i
const MISSING = /Cannot find device|does not exist|No such file|not found/i

/**
 * Pod networking as a CNI bridge plugin does it, with `ip`: one bridge per node holding the pod CIDR's
 * first address, one network namespace per pod with a veth whose node end is on the bridge, the pod's
 * address from the persisted IPAM, a default route via the bridge, and `/etc/netns/<ns>/resolv.conf` +
 * `hosts`, which `ip netns exec` mounts over the pod processes' /etc files (search path
 * `<ns>.svc.<domain> svc.<domain> <domain>`, the mesh DNS as nameserver). Needs root (CAP_NET_ADMIN).
 */
export class BridgeNetwork implements PodNetwork {
  readonly mode = 'bridge' as const
  readonly degradedReason = undefined
  private readonly cidr: Cidr
  private readonly ipam: Ipam
  private readonly log: Logger
  private readonly etc: string

  constructor (private readonly init: BridgeNetworkInit, components: BridgeNetworkComponents = {}) {
    if (init.bridge.length > 15) throw new EdgedError('EDGED_NETWORK_FAILED', `bridge name "${init.bridge}" is longer than 15 characters`)
    this.cidr = parseCidr(init.podCIDR)
    this.ipam = new Ipam(init.ipamFile, this.cidr)
    this.log = (components.logger ?? silentLogger()).child({ component: 'pod-network' })
    this.etc = init.etcNetns ?? '/etc/netns'
  }

  /** Names of a pod's namespace and node-side veth. */
  names (uid: string): { netns: string, veth: string } {
    const h = createHash('sha256').update(uid).digest('hex')
    return { netns: `${this.init.netnsPrefix}${h.slice(0, 12)}`, veth: `veth${h.slice(0, 11)}` }
  }

  private bridgeUp?: Promise<void>

  /** The bridge is made with the first pod that needs it, so a node without pods changes nothing on the host. */
  async start (): Promise<void> {}

  private async ensureBridge (): Promise<void> {
    this.bridgeUp ??= this.makeBridge().catch((err: unknown) => { this.bridgeUp = undefined; throw err })
    await this.bridgeUp
  }

  private async makeBridge (): Promise<void> {
    const br = this.init.bridge
    await runTolerating(EXISTS, 'ip', ['link', 'add', 'name', br, 'type', 'bridge'])
    await run('ip', ['addr', 'replace', `${gatewayOf(this.cidr)}/${this.cidr.prefix}`, 'dev', br])
    await run('ip', ['link', 'set', br, 'up'])
    if (this.init.ipForward) await writeFile('/proc/sys/net/ipv4/ip_forward', '1').catch((err: unknown) => { this.log.warn({ err }, 'cannot turn on IPv4 forwarding') })
    this.log.info({ bridge: br, podCIDR: this.init.podCIDR }, 'pod bridge ready')
  }

  /** Leaves the bridge and the pods' namespaces: pods come back with the same addresses after a restart. */
  async stop (): Promise<void> {}

  async setup (pod: PodNetworkRef, signal?: AbortSignal): Promise<PodSandbox> {
    if (pod.hostNetwork) return { ip: this.init.hostIP }
    await this.ensureBridge()
    const { netns, veth } = this.names(pod.uid)
    const ip = await this.ipam.allocate(pod.uid)
    const opts = { signal }
    await runTolerating(EXISTS, 'ip', ['netns', 'add', netns], opts)
    const hasVeth = await run('ip', ['link', 'show', 'dev', veth], opts).then(() => true, () => false)
    if (!hasVeth) await run('ip', ['link', 'add', veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', netns], opts)
    await run('ip', ['link', 'set', veth, 'master', this.init.bridge, 'up'], opts)
    await run('ip', ['-n', netns, 'link', 'set', 'lo', 'up'], opts)
    await run('ip', ['-n', netns, 'addr', 'replace', `${ip}/${this.cidr.prefix}`, 'dev', 'eth0'], opts)
    await run('ip', ['-n', netns, 'link', 'set', 'eth0', 'up'], opts)
    await run('ip', ['-n', netns, 'route', 'replace', 'default', 'via', gatewayOf(this.cidr)], opts)
    const dir = `${this.etc}/${netns}`
    await mkdir(dir, { recursive: true })
    const d = this.init.clusterDomain
    await writeFile(`${dir}/resolv.conf`, `nameserver ${this.init.dnsServer}\nsearch ${pod.namespace}.svc.${d} svc.${d} ${d}\noptions ndots:5\n`)
    await writeFile(`${dir}/hosts`, `127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n${ip}\t${pod.name}\n`)
    return { ip, netns }
  }

  async teardown (uid: string): Promise<void> {
    const { netns, veth } = this.names(uid)
    await runTolerating(MISSING, 'ip', ['netns', 'del', netns])
    await runTolerating(MISSING, 'ip', ['link', 'del', veth])
    await rm(`${this.etc}/${netns}`, { recursive: true, force: true })
    await this.ipam.release(uid)
  }

  /** Deletes the node bridge (after every pod's network is torn down). */
  async removeBridge (): Promise<void> {
    await runTolerating(MISSING, 'ip', ['link', 'del', this.init.bridge])
    this.bridgeUp = undefined
  }

  async owners (): Promise<string[]> {
    return [...(await this.ipam.owners()).keys()]
  }
}
