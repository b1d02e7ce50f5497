import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { ESLint } from 'eslint'
import { beforeAll, describe, expect, it } from 'vitest'

// The layering in eslint.config.js, checked by planting imports into files of each package. The code is
// linted in memory under a path inside the package (nothing is written); type-aware parsing is off
// because the planted files are in no tsconfig, and the import rules need no types.
const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const RULE = '@typescript-eslint/no-restricted-imports'

let eslint: ESLint
beforeAll(() => {
  eslint = new ESLint({
    cwd: root,
    overrideConfig: [{
      files: ['**/*.ts'],
      languageOptions: { parserOptions: { projectService: false, project: null } },
      rules: { '@typescript-eslint/no-floating-promises': 'off' }
    }]
  })
})

async function restricted (file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(`${code}\nexport const probe = 1\n`, { filePath: join(root, file) })
  const fatal = result!.messages.filter(m => m.fatal === true)
  if (fatal.length > 0) throw new Error(`lint of ${file} failed: ${fatal[0]!.message}`)
  return result!.messages.filter(m => m.ruleId === RULE).map(m => m.message)
}

describe('dependency rules', () => {
  it.each([
    ['edge-core/src/meta/probe.ts', "import { createCloudCore } from '@edgemesh/cloud-core'"],
    ['edge-core/src/meta/probe.ts', "import { ApiServer } from '../../../cloud-core/src/api-server/server.js'"],
    ['edgemesh-agent/src/probe.ts', "import { createApiCore } from '@edgemesh/cloud-core'"],
    ['edgemesh-server/src/probe.ts', "import { TunnelService } from '@edgemesh/edgemesh-agent'"],
    ['mesh/src/probe.ts', "import { TunnelService } from '@edgemesh/edgemesh-agent'"],
    ['kube/src/server/probe.ts', "import { createCloudCore } from '@edgemesh/cloud-core'"],
    ['kube/test/probe.ts', "import { sqliteStore } from '../../cloud-core/src/store/index.js'"],
    ['common/src/probe.ts', "import { ApiError } from '@edgemesh/kube/machinery'"],
    ['kube/src/machinery/probe.ts', "import { RestStorage } from '../server/rest-storage.js'"],
    ['kube/src/storage/probe.ts', "import { Informer } from '../client/informer.js'"],
    ['kube/src/client/probe.ts', "import { sqliteStore } from '../storage/sqlite-store.js'"],
    ['kube/src/client/probe.ts', "import { RestStorage } from '../server/rest-storage.js'"],
    ['cloud-core/src/api-server/probe.ts', "import { createCloudCore } from '../cloudcore.js'"],
    ['cloud-core/src/scheduler/probe.ts', "import { createControllerManager } from '../controllers/index.js'"],
    ['cloud-core/src/controllers/probe.ts', "import { EdgeHub } from '@edgemesh/edge-core'"]
  ])('rejects in %s: %s', async (file, code) => {
    const messages = await restricted(file, code)
    expect(messages).toHaveLength(1)
  })

  it.each([
    ['edge-core/src/meta/probe.ts', "import { ApiServer } from '@edgemesh/kube/server'\nimport { sqliteStore } from '@edgemesh/kube/storage'"],
    ['edgemesh-agent/src/probe.ts', "import { Informer } from '@edgemesh/kube/client'\nimport { verifyNodeCert } from '@edgemesh/mesh'"],
    ['kube/src/client/probe.ts', "import type { ResourceBackend } from '../server/backend.js'\nimport { ApiError } from '../machinery/errors.js'"],
    ['kube/src/server/probe.ts', "import type { Store } from '../storage/types.js'\nimport { AsyncQueue } from '@edgemesh/common'"],
    ['cloud-core/src/api-server/probe.ts', "import { RestStorage } from '@edgemesh/kube/server'\nimport { applyPatch } from '../patch/index.js'"],
    ['cloud-core/src/bin/probe.ts', "import { createCloudCore } from '../cloudcore.js'"],
    ['edgemesh-server/test/probe.ts', "import { TunnelService } from '@edgemesh/edgemesh-agent'"]
  ])('allows in %s: %s', async (file, code) => {
    expect(await restricted(file, code)).toEqual([])
  })
})
