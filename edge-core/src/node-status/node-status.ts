import { readFileSync } from 'node:fs'
import { arch, cpus, hostname, networkInterfaces, platform, release, totalmem, version } from 'node:os'

export interface NodeAddress { type: 'InternalIP' | 'Hostname', address: string }

/** The node's addresses: its non-loopback IPv4 addresses and its hostname. */
export function nodeAddresses (): NodeAddress[] {
  const out: NodeAddress[] = []
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) out.push({ type: 'InternalIP', address: a.address })
  }
  out.push({ type: 'Hostname', address: hostname() })
  return out
}

const readId = (file: string): string => { try { return readFileSync(file, 'utf8').trim() } catch { return '' } }
const machineId = readId('/etc/machine-id')
/** PRETTY_NAME of /etc/os-release (what kubelet reports), else the kernel's version string. */
const osImage = (): string => /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(readId('/etc/os-release'))?.[1] ?? version()
const bootID = readId('/proc/sys/kernel/random/boot_id')

/** A Node status as a kubelet posts it: Ready, addresses, capacity, node info. */
export interface NodeConditionInit { type: string, status: 'True' | 'False' | 'Unknown', reason: string, message: string }

export function nodeStatus (now: Date, opts: { addresses?: NodeAddress[], maxPods?: number, conditions?: NodeConditionInit[] } = {}): Record<string, unknown> {
  const t = now.toISOString().replace(/\.\d{3}Z$/, 'Z')
  const capacity = { cpu: String(cpus().length), memory: `${Math.floor(totalmem() / 1024)}Ki`, pods: String(opts.maxPods ?? 110) }
  return {
    conditions: [
      { type: 'Ready', status: 'True', reason: 'EdgeCoreReady', message: 'edgecore is posting ready status', lastHeartbeatTime: t, lastTransitionTime: t },
      ...(opts.conditions ?? []).map(c => ({ ...c, lastHeartbeatTime: t, lastTransitionTime: t }))
    ],
    addresses: opts.addresses ?? nodeAddresses(),
    capacity,
    allocatable: capacity,
    nodeInfo: {
      operatingSystem: platform(),
      architecture: arch() === 'x64' ? 'amd64' : arch(),
      kubeletVersion: 'v1.30.0-edgecore',
      kubeProxyVersion: '',
      containerRuntimeVersion: 'process://edgecore',
      kernelVersion: release(),
      osImage: osImage(),
      machineID: machineId,
      systemUUID: machineId,
      bootID
    }
  }
}
