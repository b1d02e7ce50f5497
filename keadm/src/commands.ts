import { spawn } from 'node:child_process'
import { mkdir, rm, writeFile } from 'node:fs/promises'
import { hostname } from 'node:os'
import { dirname, join as joinPath, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { isIPv4 } from 'node:net'
import { stringify as toYaml } from 'yaml'
import { KeadmError } from './errors.js'
import { readState, refuseIfRunning, startDaemon, stateFile, stopDaemon, type DaemonState } from './daemon.js'
import type { Reporter } from './report.js'

/** The built entry point of a workspace binary (`@edgemesh/<pkg>` → `<pkg dir>/dist/src/bin/<name>.js`). */
function entryOf (pkg: string, name: string): string {
  // Resolves to <pkg>/dist/src/index.js; the binaries sit beside it.
  return joinPath(dirname(fileURLToPath(import.meta.resolve(pkg))), 'bin', `${name}.js`)
}

/** Runs the daemon attached (`--foreground`): its output is ours, and so are the signals. */
async function runAttached (entry: string, config: string): Promise<number> {
  const child = spawn(process.execPath, [entry, '--config', config], { stdio: 'inherit' })
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => { child.kill(sig) })
  return await new Promise(resolve => child.once('exit', code => { resolve(code ?? 1) }))
}

function hostPort (v: string, flag: string): { host: string, port: number } {
  const m = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(v)
  const port = Number(m?.[2])
  if (m === null || !(port > 0 && port < 65536)) throw new KeadmError('KEADM_BAD_ADDRESS', `${flag} must be HOST:PORT, not "${v}"`)
  return { host: m[1]!, port }
}

export interface InitOptions {
  dataDir?: string
  advertiseAddress: string[]
  apiPort?: number
  hubPort?: number
  bootstrapPort?: number
  foreground: boolean
}

/** `keadm init`: cluster CA and certificates, cloudcore.yaml, then cloudcore (background, or attached). */
export async function init (opts: InitOptions, r: Reporter): Promise<number> {
  const { defaultDataDir, ensurePki } = await import('@edgemesh/cloud-core')
  const dataDir = resolve(opts.dataDir ?? defaultDataDir())
  for (const a of opts.advertiseAddress) if (!isIPv4(a)) throw new KeadmError('KEADM_BAD_ADDRESS', `--advertise-address must be an IPv4 address, not "${a}"`)
  await mkdir(dataDir, { recursive: true, mode: 0o700 })
  r.step('data dir', dataDir)
  // The serving certificate names every advertised address, so nodes reach the API, hub and bootstrap by them.
  await ensurePki(dataDir, { dnsNames: ['localhost', hostname()], ipAddresses: ['127.0.0.1', ...opts.advertiseAddress] })
  r.step('cluster CA and certificates', joinPath(dataDir, 'pki'))
  const config = joinPath(dataDir, 'cloudcore.yaml')
  await writeFile(config, toYaml({
    dataDir,
    apiServer: { ...(opts.apiPort !== undefined ? { port: opts.apiPort } : {}), certSANs: opts.advertiseAddress },
    cloudHub: opts.hubPort !== undefined ? { port: opts.hubPort } : {},
    bootstrap: opts.bootstrapPort !== undefined ? { port: opts.bootstrapPort } : {}
  }))
  r.step('config', config)
  const entry = entryOf('@edgemesh/cloud-core', 'cloudcore')
  const kubeconfig = joinPath(dataDir, 'admin.kubeconfig')
  if (opts.foreground) {
    r.step('cloudcore', 'running in the foreground')
    return await runAttached(entry, config)
  }
  const { state } = await startDaemon({ name: 'cloudcore', entry, config, dataDir, ready: /^export KUBECONFIG=/ })
  r.step('cloudcore started', `pid ${state.pid}, log ${state.logFile}`)
  r.done({ dataDir, config, kubeconfig, pid: state.pid, logFile: state.logFile }, [`export KUBECONFIG=${kubeconfig}`])
  return 0
}

/** `keadm gettoken`: a join token from the cluster CA in the data dir (no server needed). */
export async function gettoken (opts: { dataDir?: string }, r: Reporter): Promise<number> {
  const { defaultDataDir, loadClusterCA, JoinTokens } = await import('@edgemesh/cloud-core')
  const dataDir = resolve(opts.dataDir ?? defaultDataDir())
  const ca = await loadClusterCA(dataDir)
  if (ca === undefined) throw new KeadmError('KEADM_NOT_INITIALISED', `no cluster CA in ${dataDir}/pki; run keadm init first`)
  const token = await new JoinTokens(ca).issue()
  r.done({ token, expiresInHours: 24 }, [token])
  return 0
}

export interface JoinOptions {
  cloudcoreIpport: string
  token: string
  nodeName: string
  certport: number
  dataDir?: string
  metaServerPort?: number
  foreground: boolean
}

/** `keadm join`: pinned CA and a node certificate by CSR, edgecore.yaml, then edgecore. */
export async function join (opts: JoinOptions, r: Reporter): Promise<number> {
  const { defaultEdgeDataDir, joinCluster, saveNodeCredentials } = await import('@edgemesh/edge-core')
  const { host, port } = hostPort(opts.cloudcoreIpport, '--cloudcore-ipport')
  const dataDir = resolve(opts.dataDir ?? defaultEdgeDataDir())
  // Before contacting the cloud: a second join must not replace the credentials of a running edgecore.
  await refuseIfRunning(dataDir, 'edgecore')
  const creds = await joinCluster({ server: `https://${host}:${opts.certport}`, token: opts.token, nodeName: opts.nodeName })
  r.step('CA pinned by the token and node certificate issued', `system:node:${opts.nodeName}`)
  await saveNodeCredentials(dataDir, creds)
  r.step('credentials', joinPath(dataDir, 'pki'))
  const config = joinPath(dataDir, 'edgecore.yaml')
  await writeFile(config, toYaml({
    nodeName: opts.nodeName,
    dataDir,
    edgeHub: { urls: [`wss://${host}:${port}`] },
    ...(opts.metaServerPort !== undefined ? { metaServer: { port: opts.metaServerPort } } : {})
  }))
  r.step('config', config)
  const entry = entryOf('@edgemesh/edge-core', 'edgecore')
  if (opts.foreground) {
    r.step('edgecore', 'running in the foreground')
    return await runAttached(entry, config)
  }
  const { state, line } = await startDaemon({ name: 'edgecore', entry, config, dataDir, ready: /meta-server on http:\/\// })
  const metaServer = /(http:\/\/\S+)/.exec(line)?.[1] ?? ''
  r.step('edgecore started', `pid ${state.pid}, log ${state.logFile}`)
  r.done({ dataDir, config, pid: state.pid, logFile: state.logFile, metaServer }, [`edgecore ${opts.nodeName} is running; its meta-server: ${metaServer}`])
  return 0
}

/** `keadm reset`: stops what init/join started for the data dir (by its pid, nothing else) and removes the data dir. */
export async function reset (opts: { dataDir: string }, r: Reporter): Promise<number> {
  const dataDir = resolve(opts.dataDir)
  const states = (await Promise.all((['cloudcore', 'edgecore'] as const).map(async n => await readState(dataDir, n)))).filter((s): s is DaemonState => s !== undefined)
  if (states.length === 0) throw new KeadmError('KEADM_NOT_OURS', `${dataDir} holds nothing keadm started (no *.keadm.json); nothing was touched`)
  const stopped: Record<string, string> = {}
  for (const s of states) {
    stopped[s.name] = await stopDaemon(s)
    r.step(`${s.name} ${stopped[s.name]!}`, `pid ${s.pid}`)
    await rm(stateFile(dataDir, s.name), { force: true })
    if (s.name === 'edgecore') {
      // The pods' network namespaces, veths and the node bridge live outside the data dir.
      const { loadEdgeCoreConfig, removeNodePodNetworks } = await import('@edgemesh/edge-core')
      const config = await loadEdgeCoreConfig(joinPath(dataDir, 'edgecore.yaml')).catch(() => undefined)
      if (config !== undefined) r.step('pod networks removed', String(await removeNodePodNetworks(config)))
    }
  }
  await rm(dataDir, { recursive: true, force: true })
  r.step('removed', dataDir)
  r.done({ dataDir, stopped }, [`reset ${dataDir}`])
  return 0
}
