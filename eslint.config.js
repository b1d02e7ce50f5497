import js from '@eslint/js'
import tseslint from 'typescript-eslint'
import globals from 'globals'

// Dependency rules: common <- kube <- products (cloud-core, edge-core, mesh <- edgemesh-agent,
// edgemesh-server). Edge and mesh code never load cloud-core; products do not import each other.
// Each package's entry lists everything it may not import: flat config replaces a rule's options
// when two entries match a file, so the layering inside kube repeats its package's rules.
const pkg = (name) => [`@edgemesh/${name}`, `@edgemesh/${name}/*`, `**/${name}/src/**`, `**/${name}/dist/**`]
const except = (...names) => ['common', 'kube', 'cloud-core', 'edge-core', 'mesh', 'edgemesh-agent', 'edgemesh-server', 'keadm'].filter(n => !names.includes(n)).flatMap(pkg)
const restrict = (files, groups, message, typeOnly = []) => ({
  files,
  rules: {
    '@typescript-eslint/no-restricted-imports': ['error', {
      patterns: [
        { group: groups, message },
        ...typeOnly.map(t => ({ group: t.group, message: t.message, allowTypeImports: true }))
      ]
    }]
  }
})
const KUBE_MSG = '@edgemesh/kube depends on @edgemesh/common only'
const dependencyRules = [
  restrict(['common/**/*.ts'], except('common'), '@edgemesh/common depends on no other workspace package'),
  restrict(['kube/**/*.ts'], except('common', 'kube'), KUBE_MSG),
  restrict(['kube/src/machinery/**/*.ts'], [...except('common', 'kube'), '../client/*', '../storage/*', '../server/*', '@edgemesh/kube/*'], 'kube/machinery is the bottom layer of kube (types, errors, selectors) and imports nothing above it'),
  restrict(['kube/src/storage/**/*.ts'], [...except('common', 'kube'), '../client/*', '../server/*', '@edgemesh/kube/*'], 'kube/storage sits below client and server (and imports kube\'s own layers by relative path)'),
  restrict(['kube/src/server/**/*.ts'], [...except('common', 'kube'), '../client/*', '../../client/*', '@edgemesh/kube/*'], 'kube/server does not use the client layer, and imports kube\'s own layers by relative path'),
  restrict(['kube/src/client/**/*.ts'], [...except('common', 'kube'), '../storage/*', '@edgemesh/kube/*'], 'kube/client reaches storage only through the server\'s ResourceBackend',
    [{ group: ['../server/*'], message: 'kube/client may use the server layer\'s types (ResourceBackend), not its code' }]),
  restrict(['mesh/src/**/*.ts'], except('common', 'kube', 'mesh'), '@edgemesh/mesh holds protocol parts; it depends on common and kube only'),
  restrict(['edge-core/src/**/*.ts'], except('common', 'kube', 'mesh', 'edge-core'), 'edge-core never loads cloud-core (nor the agent or server)'),
  restrict(['edgemesh-agent/src/**/*.ts'], except('common', 'kube', 'mesh', 'edgemesh-agent'), 'edgemesh-agent never loads cloud-core or edge-core'),
  restrict(['edgemesh-server/src/**/*.ts'], except('common', 'kube', 'mesh', 'edgemesh-server'), 'edgemesh-server never loads the agent (its DNS, proxy, iptables) nor cloud-core'),
  restrict(['keadm/src/**/*.ts'], except('common', 'kube', 'cloud-core', 'edge-core', 'keadm'), 'keadm sets up cloudcore and edgecore; it does not load the mesh products'),
  restrict(['cloud-core/src/*/**/*.ts'], [...except('common', 'kube', 'cloud-core'), '../cloudcore.js', '../config.js', '../bin/*', '../index.js'], 'cloud-core\'s parts sit below its assembler (cloudcore.ts, config.ts, bin/)'),
  restrict(['cloud-core/src/bin/**/*.ts'], except('common', 'kube', 'cloud-core'), 'cloud-core depends on common and kube only'),
  restrict(['cloud-core/src/scheduler/**/*.ts'], [...except('common', 'kube', 'cloud-core'), '../cloudcore.js', '../config.js', '../bin/*', '../index.js', '../controllers/*'], 'the controller manager wires the scheduler, so the scheduler does not import controllers')
]

export default tseslint.config(
  { ignores: ['**/dist/**', 'dist-bundle/**', '**/node_modules/**', 'bench/results/**', '.edgemesh-data/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      globals: globals.node,
      parserOptions: { projectService: { allowDefaultProject: ['vitest.config.ts', 'bench/run.js'] }, tsconfigRootDir: import.meta.dirname }
    },
    rules: {
      'no-console': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error'
    }
  },
  {
    files: ['**/bin/**', '**/test/**', 'test/**', 'bench/**', 'scripts/**', 'vitest.config.ts'],
    rules: { 'no-console': 'off' }
  },
  { files: ['**/*.js', '**/*.mjs'], languageOptions: { globals: globals.node } },
  ...dependencyRules
)
