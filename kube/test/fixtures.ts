import type { KubeObject } from '@edgemesh/common'

// Small objects tests of kube and of its users build on (exported as @edgemesh/kube/testing).

/** Pod `default/p` with one nginx container; `spec` merges over it. */
export const testPod = (spec: Record<string, unknown> = {}, status?: Record<string, unknown>): KubeObject => ({
  apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default', uid: 'u1' },
  spec: { containers: [{ name: 'c', image: 'nginx:1.27' }], ...spec },
  ...(status !== undefined ? { status } : {})
})

/** Deployment `default/web` (app=web, containers nginx and side); `spec` merges over it. */
export const testDeployment = (spec: Record<string, unknown> = {}, status: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'default', uid: 'u', resourceVersion: '7' },
  spec: {
    selector: { matchLabels: { app: 'web' } },
    template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'nginx', image: 'nginx:1.27' }, { name: 'side', image: 'busybox' }] } },
    ...spec
  },
  status
})
