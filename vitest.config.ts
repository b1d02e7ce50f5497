import { defineConfig } from 'vitest/config'

// Three projects: unit (pure, fast), integration (real sockets/SQLite/processes), e2e (kubectl, netns, multi-process).
// Test files name their project by suffix: *.test.ts = unit, *.int.test.ts = integration, *.e2e.test.ts = e2e.
// `source` points workspace packages (@edgemesh/*) at their TypeScript sources, so tests never need a build.
// Tests run in Vite's SSR environment, which takes its conditions from `ssr.resolve`.
const conditions = ['source', 'import', 'module', 'node', 'default']
const shared = {
  resolve: { conditions },
  ssr: { resolve: { conditions } }
}
const include = (suffix: string): string[] => [`{common,kube,cloud-core,edge-core,mesh,edgemesh-agent,edgemesh-server,keadm,test}/**/*${suffix}`]

export default defineConfig({
  ...shared,
  test: {
    reporters: ['default'],
    projects: [
      { ...shared, test: { name: 'unit', include: include('.test.ts'), exclude: ['**/node_modules/**', '**/dist/**', '**/*.int.test.ts', '**/*.e2e.test.ts'], testTimeout: 20_000 } },
      { ...shared, test: { name: 'integration', include: include('.int.test.ts'), exclude: ['**/node_modules/**', '**/dist/**'], testTimeout: 60_000, hookTimeout: 60_000 } },
      { ...shared, test: { name: 'e2e', include: include('.e2e.test.ts'), exclude: ['**/node_modules/**', '**/dist/**'], testTimeout: 180_000, hookTimeout: 180_000, fileParallelism: false } }
    ]
  }
})
