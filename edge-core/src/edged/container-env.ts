import type { Container, EnvVar } from 'kubernetes-types/core/v1.js'
import type { ConfigMap, Pod, Secret, Service } from '@edgemesh/kube/machinery'
import { EdgedError } from './errors.js'

/** What the environment of a container is made from, besides its pod. */
export interface EnvSources {
  configMap: (namespace: string, name: string) => ConfigMap | undefined
  secret: (namespace: string, name: string) => Secret | undefined
  /** Services of a namespace (for the `<SVC>_SERVICE_HOST` variables). */
  services: (namespace: string) => Service[]
  /** The node's environment the host binaries need (PATH, HOME, LANG...). */
  base: Record<string, string>
  nodeCpus: number
  nodeMemoryBytes: number
}

export interface PodAddresses { podIP: string, hostIP: string }

/** Linux's argv+envp limit is 2 MiB; keep env well below it, with a clear error. */
export const MAX_ENV_BYTES = 1024 * 1024

const missing = (what: string): EdgedError => new EdgedError('EDGED_CONTAINER_CONFIG', what)

function decodeSecret (s: Secret, key: string): string | undefined {
  const b64 = s.data?.[key]
  if (b64 !== undefined) return Buffer.from(b64, 'base64').toString('utf8')
  return s.stringData?.[key]
}

const envName = (svc: string): string => svc.toUpperCase().replace(/-/g, '_')

/** The docker-link style variables kubelet sets for each Service with a cluster IP. */
export function serviceEnv (services: Service[]): Record<string, string> {
  const out: Record<string, string> = {}
  for (const svc of services) {
    const ip = svc.spec?.clusterIP
    if (ip === undefined || ip === '' || ip === 'None') continue
    const ports = svc.spec?.ports ?? []
    if (ports.length === 0) continue
    const n = envName(svc.metadata?.name ?? '')
    out[`${n}_SERVICE_HOST`] = ip
    out[`${n}_SERVICE_PORT`] = String(ports[0]!.port)
    for (const p of ports) if (p.name !== undefined && p.name !== '') out[`${n}_SERVICE_PORT_${envName(p.name)}`] = String(p.port)
    const first = ports[0]!
    out[`${n}_PORT`] = `${(first.protocol ?? 'TCP').toLowerCase()}://${ip}:${first.port}`
    for (const p of ports) {
      const proto = (p.protocol ?? 'TCP')
      const prefix = `${n}_PORT_${p.port}_${proto}`
      out[prefix] = `${proto.toLowerCase()}://${ip}:${p.port}`
      out[`${prefix}_PROTO`] = proto.toLowerCase()
      out[`${prefix}_PORT`] = String(p.port)
      out[`${prefix}_ADDR`] = ip
    }
  }
  return out
}

/** `$(VAR)` references expanded from `env` (undefined ones left as written), `$$` as a literal `$`. */
export function expandRefs (value: string, env: Record<string, string>): string {
  return value.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (m, name?: string) => name === undefined ? '$' : (env[name] ?? m))
}

/** A pod field as env fieldRef and downwardAPI volume items read it. Throws EDGED_CONTAINER_CONFIG for an unsupported path. */
export function podFieldValue (pod: Pod, addr: PodAddresses, path: string): string {
  const meta = pod.metadata ?? {}
  const keyed = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(path)
  if (keyed !== null) return (keyed[1] === 'labels' ? meta.labels : meta.annotations)?.[keyed[2]!] ?? ''
  switch (path) {
    case 'metadata.name': return meta.name ?? ''
    case 'metadata.namespace': return meta.namespace ?? ''
    case 'metadata.uid': return meta.uid ?? ''
    case 'spec.nodeName': return pod.spec?.nodeName ?? ''
    case 'spec.serviceAccountName': return pod.spec?.serviceAccountName ?? 'default'
    case 'status.hostIP': case 'status.hostIPs': return addr.hostIP
    case 'status.podIP': case 'status.podIPs': return addr.podIP
    default: throw missing(`unsupported fieldRef fieldPath "${path}"`)
  }
}

/** A CPU or memory quantity (`500m`, `2`, `64Mi`, `1G`) as a number of cores or bytes. */
export function parseQuantity (q: string | number): number {
  if (typeof q === 'number') return q
  const m = /^([0-9.]+)(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/.exec(q.trim())
  if (m === null) throw missing(`invalid quantity "${q}"`)
  const n = Number(m[1])
  const mult: Record<string, number> = { m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, Ti: 1024 ** 4, Pi: 1024 ** 5, Ei: 1024 ** 6 }
  return n * (m[2] === undefined ? 1 : mult[m[2]]!)
}

function resourceValue (c: Container, resource: string, divisor: string | number | undefined, src: EnvSources): string {
  const [kind, name] = resource.split('.') as [string, string]
  const table = kind === 'limits' ? c.resources?.limits : kind === 'requests' ? c.resources?.requests : undefined
  if (table === undefined && kind !== 'limits' && kind !== 'requests') throw missing(`unsupported resourceFieldRef resource "${resource}"`)
  const set = table?.[name]
  const fallback = name === 'cpu' ? src.nodeCpus : name === 'memory' ? src.nodeMemoryBytes : undefined
  if (set === undefined && fallback === undefined) throw missing(`unsupported resourceFieldRef resource "${resource}"`)
  const value = set !== undefined ? parseQuantity(set) : (kind === 'requests' ? 0 : fallback!)
  const d = divisor === undefined ? 1 : parseQuantity(divisor)
  return String(Math.ceil(value / (d === 0 ? 1 : d)))
}

function envVarValue (v: EnvVar, pod: Pod, c: Container, addr: PodAddresses, src: EnvSources, env: Record<string, string>): string | undefined {
  if (v.valueFrom === undefined) return expandRefs(v.value ?? '', env)
  const ns = pod.metadata?.namespace ?? 'default'
  const f = v.valueFrom
  if (f.fieldRef !== undefined) return podFieldValue(pod, addr, f.fieldRef.fieldPath)
  if (f.resourceFieldRef !== undefined) return resourceValue(c, f.resourceFieldRef.resource, f.resourceFieldRef.divisor, src)
  if (f.configMapKeyRef !== undefined) {
    const r = f.configMapKeyRef
    const cm = src.configMap(ns, r.name ?? '')
    const val = cm?.data?.[r.key] ?? (cm?.binaryData?.[r.key] !== undefined ? Buffer.from(cm.binaryData[r.key]!, 'base64').toString('utf8') : undefined)
    if (val !== undefined) return val
    if (r.optional === true) return undefined
    throw missing(cm === undefined ? `configmap "${r.name ?? ''}" not found` : `couldn't find key ${r.key} in ConfigMap ${ns}/${r.name ?? ''}`)
  }
  if (f.secretKeyRef !== undefined) {
    const r = f.secretKeyRef
    const s = src.secret(ns, r.name ?? '')
    const val = s === undefined ? undefined : decodeSecret(s, r.key)
    if (val !== undefined) return val
    if (r.optional === true) return undefined
    throw missing(s === undefined ? `secret "${r.name ?? ''}" not found` : `couldn't find key ${r.key} in Secret ${ns}/${r.name ?? ''}`)
  }
  throw missing(`env var ${v.name} has an empty valueFrom`)
}

/**
 * A container's environment as kubelet builds it: the node's base variables, the Service variables of
 * the pod's namespace (unless enableServiceLinks is false; the `kubernetes` Service's always), `envFrom`
 * in order, then `env` in order (later wins, `$(VAR)` expanded against what is defined so far), and
 * `HOSTNAME` = pod name. Throws EDGED_CONTAINER_CONFIG (CreateContainerConfigError) for a missing
 * ConfigMap, Secret or key that is not optional, an unsupported reference, or an environment over
 * MAX_ENV_BYTES.
 */
export function containerEnv (pod: Pod, c: Container, addr: PodAddresses, src: EnvSources): Record<string, string> {
  const ns = pod.metadata?.namespace ?? 'default'
  const env: Record<string, string> = { ...src.base, HOSTNAME: pod.metadata?.name ?? '' }
  const links = pod.spec?.enableServiceLinks !== false ? src.services(ns) : []
  const master = src.services('default').filter(s => s.metadata?.name === 'kubernetes')
  Object.assign(env, serviceEnv(ns === 'default' ? links : [...master, ...links]))
  for (const from of c.envFrom ?? []) {
    const prefix = from.prefix ?? ''
    if (from.configMapRef !== undefined) {
      const cm = src.configMap(ns, from.configMapRef.name ?? '')
      if (cm === undefined) { if (from.configMapRef.optional === true) continue; throw missing(`configmap "${from.configMapRef.name ?? ''}" not found`) }
      for (const [k, v] of Object.entries(cm.data ?? {})) env[prefix + k] = v
    }
    if (from.secretRef !== undefined) {
      const s = src.secret(ns, from.secretRef.name ?? '')
      if (s === undefined) { if (from.secretRef.optional === true) continue; throw missing(`secret "${from.secretRef.name ?? ''}" not found`) }
      for (const k of Object.keys({ ...s.data, ...s.stringData })) env[prefix + k] = decodeSecret(s, k) ?? ''
    }
  }
  for (const v of c.env ?? []) {
    const val = envVarValue(v, pod, c, addr, src, env)
    if (val !== undefined) env[v.name] = val
  }
  let bytes = 0
  for (const [k, v] of Object.entries(env)) bytes += k.length + v.length + 2
  if (bytes > MAX_ENV_BYTES) throw missing(`the container's environment is ${bytes} bytes, over the ${MAX_ENV_BYTES}-byte limit`)
  return env
}

/** command/args with `$(VAR)` expanded from the container's environment, as kubelet does. */
export const expandArgv = (argv: readonly string[], env: Record<string, string>): string[] => argv.map(a => expandRefs(a, env))
