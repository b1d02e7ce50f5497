import { access, chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import { certInfo, createCA, hasCode, type CertificateAuthority } from '@edgemesh/common'
import type { Store } from '@edgemesh/kube/storage'
import { BootstrapError } from './errors.js'

/** Where the cluster CA lives in the store (outside /registry: no API resource lists it). */
export const CLUSTER_CA_KEY = '/edgemesh/pki/ca'

export interface ClusterCAFiles {
  caCert: string
  caKey: string
  /** Certificates signed by the CA; removed when the local CA is replaced by the cluster's, to be issued again. */
  issued: string[]
  /** Present once this data dir's CA is known to be the cluster's: a different CA in the store is then a conflict. */
  marker: string
}

export type ClusterCAResult = 'published' | 'adopted' | 'unchanged'

/**
 * One cluster CA per store, so several cloudcores on one etcd never mint two (kubeedge #5922: every
 * edge then fails with "unknown authority"). The store's create is the commit point: the first
 * cloudcore publishes its CA with `create`, which fails with STORE_KEY_EXISTS for every other; those
 * adopt the published CA into their data dir (a local CA that was never published, e.g. from
 * `keadm init` on a second machine, is replaced and the certificates it signed are re-issued).
 * A data dir whose CA was already published and differs from the store's is refused with
 * BOOTSTRAP_CA_CONFLICT: two clusters' worth of certificates must not be merged silently.
 */
export async function syncClusterCA (store: Store, files: ClusterCAFiles): Promise<ClusterCAResult> {
  for (;;) {
    const stored = await store.get(CLUSTER_CA_KEY)
    const local = await readCA(files)
    if (stored !== undefined) {
      const cluster = parseCA(stored.value)
      if (local?.certPem === cluster.certPem) {
        await mark(files)
        return 'unchanged'
      }
      if (local !== undefined && await exists(files.marker)) {
        throw new BootstrapError('BOOTSTRAP_CA_CONFLICT', `the CA in ${files.caCert} (${subjectOf(local)}) was this cluster's, but the store holds another one (${subjectOf(cluster)}); refusing to mix two clusters' certificates`)
      }
      await Promise.all(files.issued.map(async f => { await rm(f, { force: true }) }))
      await writeCA(files, cluster)
      await mark(files)
      return 'adopted'
    }
    const mine = local ?? await createCA({ commonName: 'edgemesh-cluster-ca' })
    try {
      await store.create(CLUSTER_CA_KEY, JSON.stringify({ certPem: mine.certPem, keyPem: mine.keyPem }))
    } catch (err) {
      // Another cloudcore published first: adopt its CA (next round).
      if (hasCode(err, 'STORE_KEY_EXISTS')) continue
      throw err
    }
    if (local === undefined) await writeCA(files, mine)
    await mark(files)
    return 'published'
  }
}

function parseCA (value: string): CertificateAuthority {
  try {
    const v = JSON.parse(value) as Partial<CertificateAuthority>
    if (typeof v.certPem === 'string' && typeof v.keyPem === 'string') return { certPem: v.certPem, keyPem: v.keyPem }
  } catch { /* reported below */ }
  throw new BootstrapError('BOOTSTRAP_CA_INCOMPLETE', `the cluster CA record ${CLUSTER_CA_KEY} in the store is not a certificate and key`)
}

const subjectOf = (ca: CertificateAuthority): string => {
  const i = certInfo(ca.certPem)
  return `${i.commonName}, serial ${i.serialNumber}`
}

async function exists (f: string): Promise<boolean> {
  try { await access(f); return true } catch { return false }
}

async function readCA (files: ClusterCAFiles): Promise<CertificateAuthority | undefined> {
  try {
    return { certPem: await readFile(files.caCert, 'utf8'), keyPem: await readFile(files.caKey, 'utf8') }
  } catch (err) {
    if (hasCode(err, 'ENOENT')) return undefined
    throw err
  }
}

async function writeCA (files: ClusterCAFiles, ca: CertificateAuthority): Promise<void> {
  await mkdir(dirname(files.caKey), { recursive: true, mode: 0o700 })
  for (const [file, text, mode] of [[files.caKey, ca.keyPem, 0o600], [files.caCert, ca.certPem, 0o644]] as const) {
    const tmp = `${file}.tmp-${process.pid}`
    await writeFile(tmp, text, { mode })
    await chmod(tmp, mode)
    await rename(tmp, file)
  }
}

async function mark (files: ClusterCAFiles): Promise<void> {
  if (!await exists(files.marker)) await writeFile(files.marker, `${CLUSTER_CA_KEY}\n`, { mode: 0o600 })
}
