#!/usr/bin/env node
// The `cloudcore` command (package.json "bin"): runs the built entry point. Build first: npm run build.
const major = Number(process.versions.node.split('.')[0])
if (major < 24) {
  process.stderr.write(`cloudcore needs Node.js 24 or newer (this is ${process.version}); run it as \`npx cloudcore\` from the repository, which uses the Node that npm ci installed\n`)
  process.exit(1)
}
try {
  await import('../dist/src/bin/cloudcore.js')
} catch (err) {
  if (err?.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes('/dist/src/bin/cloudcore.js')) {
    process.stderr.write('cloudcore is not built yet: run `npm run build` in the repository first\n')
    process.exit(1)
  }
  throw err
}
