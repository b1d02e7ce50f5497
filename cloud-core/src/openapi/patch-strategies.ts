/**
 * Strategic-merge metadata for built-in types.
 *
 * `kubernetes-types` carries properties, types and descriptions but drops the
 * `x-kubernetes-patch-strategy` / `x-kubernetes-patch-merge-key` extensions, so they are listed
 * here. Each row mirrors a `patchStrategy:"..." patchMergeKey:"..."` struct tag in k8s.io/api
 * (core/v1, apps/v1 types.go) or k8s.io/apimachinery (meta/v1 ObjectMeta), checked by reading
 * those files. Rows cover the fields of the installed kubernetes-types (1.30); a test checks that
 * every row names a real field, so add rows for new tagged fields when the package is upgraded.
 * Lists that are absent here (tolerations, node taints, endpoint subsets, EndpointSlice endpoints,
 * Service externalIPs, ...) have no tag upstream and are replaced wholesale, as kube-apiserver does.
 *
 * Keyed by component name (see schema-index.ts) then JSON field name.
 */
export interface PatchStrategyRow {
  /** 'merge', 'retainKeys' or 'merge,retainKeys'. */
  strategy: string
  /** Absent for primitive lists merged as sets (finalizers, podCIDRs) and for retainKeys structs. */
  mergeKey?: string
}

const CORE = 'io.k8s.api.core.v1.'
const APPS = 'io.k8s.api.apps.v1.'
const META = 'io.k8s.apimachinery.pkg.apis.meta.v1.'

const merge = (mergeKey?: string): PatchStrategyRow => mergeKey === undefined ? { strategy: 'merge' } : { strategy: 'merge', mergeKey }
const byType = merge('type')

// Container fields are shared by Container and EphemeralContainer (EphemeralContainerCommon upstream).
const containerFields: Record<string, PatchStrategyRow> = {
  ports: merge('containerPort'),
  env: merge('name'),
  volumeMounts: merge('mountPath'),
  volumeDevices: merge('devicePath')
}

export const PATCH_STRATEGIES: Readonly<Record<string, Readonly<Record<string, PatchStrategyRow>>>> = {
  [META + 'ObjectMeta']: { ownerReferences: merge('uid'), finalizers: merge() },

  [CORE + 'Container']: containerFields,
  [CORE + 'EphemeralContainer']: containerFields,
  [CORE + 'ContainerStatus']: { volumeMounts: merge('mountPath') },
  [CORE + 'PodSpec']: {
    volumes: { strategy: 'merge,retainKeys', mergeKey: 'name' },
    initContainers: merge('name'),
    containers: merge('name'),
    ephemeralContainers: merge('name'),
    imagePullSecrets: merge('name'),
    hostAliases: merge('ip'),
    topologySpreadConstraints: merge('topologyKey'),
    schedulingGates: merge('name'),
    resourceClaims: { strategy: 'merge,retainKeys', mergeKey: 'name' }
  },
  [CORE + 'PodStatus']: {
    conditions: byType,
    hostIPs: merge('ip'),
    podIPs: merge('ip'),
    resourceClaimStatuses: { strategy: 'merge,retainKeys', mergeKey: 'name' }
  },
  [CORE + 'PersistentVolumeClaimStatus']: { conditions: byType },
  [CORE + 'ReplicationControllerStatus']: { conditions: byType },
  [CORE + 'ServiceSpec']: { ports: merge('port') },
  [CORE + 'ServiceStatus']: { conditions: byType },
  [CORE + 'ServiceAccount']: { secrets: merge('name') },
  [CORE + 'NodeSpec']: { podCIDRs: merge() },
  [CORE + 'NodeStatus']: { conditions: byType, addresses: byType },
  [CORE + 'NamespaceStatus']: { conditions: byType },
  [CORE + 'ComponentStatus']: { conditions: byType },

  [APPS + 'DeploymentSpec']: { strategy: { strategy: 'retainKeys' } },
  [APPS + 'DeploymentStatus']: { conditions: byType },
  [APPS + 'StatefulSetStatus']: { conditions: byType },
  [APPS + 'DaemonSetStatus']: { conditions: byType },
  [APPS + 'ReplicaSetStatus']: { conditions: byType }
}
