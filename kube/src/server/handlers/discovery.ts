import type { ResourceDefinition } from '../../machinery/types.js'
import { DEFAULT_VERBS } from '../registry.js'

/** Served subresources: discovery's view of them and the verbs the resource handler accepts. */
export const SUBRESOURCE_INFO: Record<string, { group?: string, version?: string, kind?: (def: ResourceDefinition) => string, verbs: string[] }> = {
  status: { verbs: ['get', 'patch', 'update'] },
  scale: { group: 'autoscaling', version: 'v1', kind: () => 'Scale', verbs: ['get', 'patch', 'update'] },
  binding: { kind: () => 'Binding', verbs: ['create'] },
  log: { kind: () => 'Pod', verbs: ['get'] },
  exec: { kind: () => 'PodExecOptions', verbs: ['create', 'get'] },
  attach: { kind: () => 'PodAttachOptions', verbs: ['create', 'get'] },
  portforward: { kind: () => 'PodPortForwardOptions', verbs: ['create', 'get'] }
}

const sortedVerbs = (def: ResourceDefinition): string[] => [...(def.verbs ?? DEFAULT_VERBS)].sort()

/** Group versions served, core first, then groups by name; one version per group in this server. */
function groups (defs: ResourceDefinition[]): Map<string, Map<string, ResourceDefinition[]>> {
  const out = new Map<string, Map<string, ResourceDefinition[]>>()
  for (const d of [...defs].sort((a, b) => a.group.localeCompare(b.group) || a.version.localeCompare(b.version) || a.resource.localeCompare(b.resource))) {
    let g = out.get(d.group)
    if (g === undefined) { g = new Map(); out.set(d.group, g) }
    let v = g.get(d.version)
    if (v === undefined) { v = []; g.set(d.version, v) }
    v.push(d)
  }
  return out
}

export function apiVersions (): Record<string, unknown> {
  return { kind: 'APIVersions', apiVersion: 'v1', versions: ['v1'], serverAddressByClientCIDRs: [] }
}

function groupEntry (group: string, versions: string[]): Record<string, unknown> {
  const vs = versions.map(v => ({ groupVersion: `${group}/${v}`, version: v }))
  return { name: group, versions: vs, preferredVersion: vs[0] }
}

export function apiGroupList (defs: ResourceDefinition[]): Record<string, unknown> {
  const gs = [...groups(defs)].filter(([g]) => g !== '').map(([g, vs]) => groupEntry(g, [...vs.keys()]))
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: gs }
}

export function apiGroup (defs: ResourceDefinition[], group: string): Record<string, unknown> | undefined {
  const vs = groups(defs).get(group)
  if (vs === undefined || group === '') return undefined
  return { kind: 'APIGroup', apiVersion: 'v1', ...groupEntry(group, [...vs.keys()]) }
}

export function apiResourceList (defs: ResourceDefinition[], group: string, version: string): Record<string, unknown> | undefined {
  const list = groups(defs).get(group)?.get(version)
  if (list === undefined) return undefined
  const resources: Array<Record<string, unknown>> = []
  for (const d of list) {
    resources.push({
      name: d.resource,
      singularName: d.singular,
      namespaced: d.namespaced,
      kind: d.kind,
      verbs: sortedVerbs(d),
      ...(d.shortNames !== undefined ? { shortNames: d.shortNames } : {}),
      ...(d.categories !== undefined ? { categories: d.categories } : {})
    })
    for (const sub of d.subresources ?? []) {
      const info = SUBRESOURCE_INFO[sub]
      if (info === undefined) continue
      resources.push({
        name: `${d.resource}/${sub}`,
        singularName: '',
        namespaced: d.namespaced,
        ...(info.group !== undefined ? { group: info.group, version: info.version } : {}),
        kind: info.kind?.(d) ?? d.kind,
        verbs: info.verbs
      })
    }
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: group === '' ? version : `${group}/${version}`, resources }
}

function aggregatedResource (d: ResourceDefinition): Record<string, unknown> {
  const subresources = (d.subresources ?? []).filter(s => SUBRESOURCE_INFO[s] !== undefined).map(s => {
    const info = SUBRESOURCE_INFO[s]!
    return {
      subresource: s,
      responseKind: { group: info.group ?? d.group, version: info.version ?? d.version, kind: info.kind?.(d) ?? d.kind },
      verbs: info.verbs
    }
  })
  return {
    resource: d.resource,
    responseKind: { group: d.group, version: d.version, kind: d.kind },
    scope: d.namespaced ? 'Namespaced' : 'Cluster',
    singularResource: d.singular,
    verbs: sortedVerbs(d),
    ...(d.shortNames !== undefined ? { shortNames: d.shortNames } : {}),
    ...(d.categories !== undefined ? { categories: d.categories } : {}),
    ...(subresources.length > 0 ? { subresources } : {})
  }
}

/** apidiscovery.k8s.io/v2 APIGroupDiscoveryList for /api (core only) or /apis (all other groups). */
export function aggregatedDiscovery (defs: ResourceDefinition[], core: boolean): Record<string, unknown> {
  const items = [...groups(defs)].filter(([g]) => (g === '') === core).map(([g, vs]) => ({
    metadata: { name: g },
    versions: [...vs].map(([v, ds]) => ({ version: v, resources: ds.map(aggregatedResource), freshness: 'Current' }))
  }))
  return { kind: 'APIGroupDiscoveryList', apiVersion: 'apidiscovery.k8s.io/v2', metadata: {}, items }
}

export const VERSION_INFO = {
  major: '1',
  minor: '32',
  gitVersion: 'v1.32.0',
  gitCommit: '0000000000000000000000000000000000000000',
  gitTreeState: 'clean',
  buildDate: '2026-01-01T00:00:00Z',
  goVersion: `node${process.versions.node}`,
  compiler: 'edgemesh-ts',
  platform: `${process.platform}/${process.arch === 'x64' ? 'amd64' : process.arch}`
}
