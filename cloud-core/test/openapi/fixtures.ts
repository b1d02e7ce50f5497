/** Real-world manifests (as kubectl sends them) used by the openapi tests. */
export const deployment = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'default', labels: { app: 'web', 'app.kubernetes.io/name': 'web' }, annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{}\n' }, creationTimestamp: null },
  spec: {
    replicas: 3,
    revisionHistoryLimit: 10,
    selector: { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['fe'] }] },
    strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: 1 } },
    template: {
      metadata: { labels: { app: 'web' } },
      spec: {
        containers: [{
          name: 'nginx',
          image: 'nginx:1.27',
          args: ['-g', 'daemon off;'],
          ports: [{ containerPort: 80, name: 'http', protocol: 'TCP' }],
          env: [{ name: 'A', value: '1' }, { name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
          resources: { limits: { cpu: '500m', memory: '128Mi' }, requests: { cpu: 0.1, memory: 64000000 } },
          readinessProbe: { httpGet: { path: '/', port: 'http' }, periodSeconds: 5 },
          livenessProbe: { tcpSocket: { port: 80 } },
          volumeMounts: [{ name: 'cfg', mountPath: '/etc/cfg', readOnly: true }]
        }],
        volumes: [{ name: 'cfg', configMap: { name: 'cfg', items: [{ key: 'a', path: 'a' }] } }],
        tolerations: [{ key: 'node-role.kubernetes.io/edge', operator: 'Exists', effect: 'NoSchedule' }],
        nodeSelector: { 'kubernetes.io/os': 'linux' },
        terminationGracePeriodSeconds: 30
      }
    }
  },
  status: {}
}

export const service = {
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'web', namespace: 'default' },
  spec: { type: 'ClusterIP', selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' }, { name: 'metrics', port: 9090, targetPort: 'metrics' }], sessionAffinity: 'None', clusterIP: '10.96.0.10', clusterIPs: ['10.96.0.10'], ipFamilies: ['IPv4'] }
}

export const pod = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'client', namespace: 'default', ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-1', uid: 'u1', controller: true, blockOwnerDeletion: true }], finalizers: ['x/y'] },
  spec: {
    nodeName: 'edge-1',
    restartPolicy: 'Always',
    containers: [{ name: 'c', image: 'busybox', command: ['sh', '-c', 'sleep 3600'], securityContext: { runAsUser: 1000, capabilities: { add: ['NET_ADMIN'] } } }],
    dnsConfig: { nameservers: ['169.254.96.16'], options: [{ name: 'ndots', value: '5' }] }
  },
  status: { phase: 'Running', podIP: '10.1.0.5', podIPs: [{ ip: '10.1.0.5' }], conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: '2026-01-01T00:00:00Z' }] }
}

export const configMap = {
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'cfg', namespace: 'default' },
  data: { 'a.conf': 'x=1\n', b: '' },
  binaryData: { bin: 'AAEC' },
  immutable: false
}

export const endpointSlice = {
  apiVersion: 'discovery.k8s.io/v1',
  kind: 'EndpointSlice',
  metadata: { name: 'web-abc', namespace: 'default', labels: { 'kubernetes.io/service-name': 'web' } },
  addressType: 'IPv4',
  endpoints: [{ addresses: ['10.1.0.5'], conditions: { ready: true, serving: true, terminating: false }, nodeName: 'edge-1', targetRef: { kind: 'Pod', name: 'web-1', namespace: 'default', uid: 'u' } }],
  ports: [{ name: 'http', port: 8080, protocol: 'TCP' }]
}

export const lease = {
  apiVersion: 'coordination.k8s.io/v1',
  kind: 'Lease',
  metadata: { name: 'edge-1', namespace: 'kube-node-lease' },
  spec: { holderIdentity: 'edge-1', leaseDurationSeconds: 40, renewTime: '2026-01-01T00:00:00.000000Z' }
}

export const crd = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'devices.devices.kubeedge.io' },
  spec: {
    group: 'devices.kubeedge.io',
    scope: 'Namespaced',
    names: { kind: 'Device', plural: 'devices', singular: 'device', listKind: 'DeviceList' },
    versions: [{
      name: 'v1beta1',
      served: true,
      storage: true,
      schema: {
        openAPIV3Schema: {
          type: 'object',
          description: 'Device is the Schema for the devices API',
          properties: {
            spec: {
              type: 'object',
              required: ['deviceModelRef'],
              properties: {
                deviceModelRef: { type: 'object', properties: { name: { type: 'string' } } },
                nodeName: { type: 'string', maxLength: 63 },
                protocol: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
                mode: { type: 'string', enum: ['push', 'pull'] },
                interval: { type: 'integer', minimum: 1 },
                template: { type: 'object', 'x-kubernetes-embedded-resource': true, 'x-kubernetes-preserve-unknown-fields': true },
                port: { 'x-kubernetes-int-or-string': true }
              }
            },
            status: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true }
          }
        }
      }
    }, { name: 'v1alpha1', served: false, storage: false }]
  }
}
