import { describe, expect, it } from 'vitest'
import type { Pod, Service } from '@edgemesh/kube/machinery'
import { containerEnv, expandRefs, MAX_ENV_BYTES, serviceEnv, type EnvSources } from '../../src/edged/container-env.js'

const pod: Pod = {
  apiVersion: 'v1', kind: 'Pod',
  metadata: { name: 'web-1', namespace: 'shop', uid: 'u-1', labels: { app: 'web' } },
  spec: { nodeName: 'edge-1', containers: [] }
}
const svc = (name: string, ns: string, ip: string, ports: Array<{ name?: string, port: number, protocol?: string }>): Service =>
  ({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: ns }, spec: { clusterIP: ip, ports } }) as Service
const sources = (over: Partial<EnvSources> = {}): EnvSources => ({
  configMap: (ns, name) => ns === 'shop' && name === 'cfg' ? { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { MODE: 'fast', 'log.level': 'debug' } } : undefined,
  secret: (ns, name) => ns === 'shop' && name === 'creds' ? { apiVersion: 'v1', kind: 'Secret', metadata: { name }, data: { password: Buffer.from('s3cret').toString('base64') } } : undefined,
  services: ns => ns === 'shop' ? [svc('web-api', 'shop', '10.96.0.20', [{ name: 'http', port: 80 }, { name: 'grpc', port: 9090 }]), svc('headless', 'shop', 'None', [{ port: 1 }])] : ns === 'default' ? [svc('kubernetes', 'default', '10.96.0.1', [{ name: 'https', port: 443 }])] : [],
  base: { PATH: '/usr/bin:/bin' },
  nodeCpus: 4,
  nodeMemoryBytes: 8 * 1024 ** 3,
  ...over
})
const addr = { podIP: '10.88.0.5', hostIP: '192.0.2.10' }

describe('containerEnv', () => {
  it('builds what kubelet gives a container: service links, envFrom, env with refs, HOSTNAME', () => {
    const env = containerEnv(pod, {
      name: 'c',
      envFrom: [{ configMapRef: { name: 'cfg' }, prefix: 'CFG_' }],
      env: [
        { name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
        { name: 'APP', valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } },
        { name: 'IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
        { name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
        { name: 'PASS', valueFrom: { secretKeyRef: { name: 'creds', key: 'password' } } },
        { name: 'MEM', valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Mi' } } },
        { name: 'CPU', valueFrom: { resourceFieldRef: { resource: 'limits.cpu' } } },
        { name: 'URL', value: 'http://$(WEB_API_SERVICE_HOST):$(WEB_API_SERVICE_PORT)/$(UNDEFINED)/$$x' }
      ],
      resources: { limits: { memory: '64Mi' } }
    }, addr, sources())
    expect(env).toMatchObject({
      PATH: '/usr/bin:/bin', HOSTNAME: 'web-1', POD: 'web-1', APP: 'web', IP: '10.88.0.5', NODE: 'edge-1', PASS: 's3cret', MEM: '64', CPU: '4',
      CFG_MODE: 'fast', 'CFG_log.level': 'debug',
      WEB_API_SERVICE_HOST: '10.96.0.20', WEB_API_SERVICE_PORT: '80', WEB_API_SERVICE_PORT_GRPC: '9090', WEB_API_PORT: 'tcp://10.96.0.20:80', WEB_API_PORT_9090_TCP_ADDR: '10.96.0.20',
      KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443',
      URL: 'http://10.96.0.20:80/$(UNDEFINED)/$x'
    })
    expect(env).not.toHaveProperty('HEADLESS_SERVICE_HOST')
  })

  it('leaves service links out with enableServiceLinks: false but keeps the kubernetes service', () => {
    const env = containerEnv({ ...pod, spec: { ...pod.spec!, enableServiceLinks: false } }, { name: 'c' }, addr, sources())
    expect(env).not.toHaveProperty('WEB_API_SERVICE_HOST')
    expect(env.KUBERNETES_SERVICE_HOST).toBe('10.96.0.1')
  })

  it('fails with EDGED_CONTAINER_CONFIG naming a missing ConfigMap, key or Secret, unless optional', () => {
    const run = (env: unknown[]): Record<string, string> => containerEnv(pod, { name: 'c', env: env as never }, addr, sources())
    expect(() => run([{ name: 'X', valueFrom: { configMapKeyRef: { name: 'nope', key: 'k' } } }])).toThrow('configmap "nope" not found')
    expect(() => run([{ name: 'X', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'k' } } }])).toThrow("couldn't find key k in ConfigMap shop/cfg")
    expect(() => run([{ name: 'X', valueFrom: { secretKeyRef: { name: 'nope', key: 'k' } } }])).toThrow(expect.objectContaining({ code: 'EDGED_CONTAINER_CONFIG' }))
    expect(run([{ name: 'X', valueFrom: { configMapKeyRef: { name: 'nope', key: 'k', optional: true } } }])).not.toHaveProperty('X')
    expect(() => run([{ name: 'X', valueFrom: { fieldRef: { fieldPath: 'spec.containers' } } }])).toThrow('unsupported fieldRef')
  })

  it('refuses an environment over MAX_ENV_BYTES instead of failing exec with E2BIG', () => {
    expect(() => containerEnv(pod, { name: 'c', env: [{ name: 'BIG', value: 'x'.repeat(MAX_ENV_BYTES) }] }, addr, sources())).toThrow(/over the \d+-byte limit/)
  })
})

describe('serviceEnv and expandRefs', () => {
  it('names variables after the upper-cased service name with dashes as underscores', () => {
    expect(Object.keys(serviceEnv([svc('a-b', 'x', '10.0.0.1', [{ port: 53, protocol: 'UDP' }])]))).toEqual(['A_B_SERVICE_HOST', 'A_B_SERVICE_PORT', 'A_B_PORT', 'A_B_PORT_53_UDP', 'A_B_PORT_53_UDP_PROTO', 'A_B_PORT_53_UDP_PORT', 'A_B_PORT_53_UDP_ADDR'])
    expect(expandRefs('$(A)-$$(A)-$(B)', { A: '1' })).toBe('1-$(A)-$(B)')
  })
})
