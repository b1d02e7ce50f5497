// Shared by every workspace `bin` (cloudcore, edgemesh-server, and edgecore/keadm/edgemesh-agent as
// they arrive): plain JavaScript, so it runs before anything is built and on any Node version, to
// say clearly what is wrong instead of failing on syntax or a missing dist file.

/**
 * Runs the built entry point `entry` (a file URL) of the command `name`: refuses Node < 24 and an
 * unbuilt tree with a one-line message and exit code 1.
 */
export async function launch (name, entry) {
  const major = Number(process.versions.node.split('.')[0])
  if (major < 24) {
    process.stderr.write(`${name} needs Node.js 24 or newer (this is ${process.version}); run it as \`npx ${name}\` from the repository, which uses the Node that npm ci installed\n`)
    process.exit(1)
  }
  try {
    await import(entry.href)
  } catch (err) {
    if (err?.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes(entry.pathname)) {
      process.stderr.write(`${name} is not built yet: run \`npm run build\` in the repository first\n`)
      process.exit(1)
    }
    throw err
  }
}
