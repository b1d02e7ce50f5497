import { randomBytes } from 'node:crypto'
import { link, mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { createCA, hasCode, sleep, type CertificateAuthority } from '@edgemesh/common'
import { BootstrapError } from './errors.js'

export interface LoadOrCreateCAOptions {
  /** @default 'edgemesh-cluster-ca' */
  commonName?: string
  /** How long a loser waits for the winner's key to appear. @default 10_000 */
  waitMs?: number
  signal?: AbortSignal
}

async function readIfExists (path: string): Promise<string | undefined> {
  try { return await readFile(path, 'utf8') } catch (err) {
    if (hasCode(err, 'ENOENT')) return undefined
    throw err
  }
}

/**
 * Loads `dir/ca.crt` + `dir/ca.key`, or creates them exactly once even when several cloudcores start
 * together on a shared directory (kubeedge #5922: two CAs, every edge "unknown authority").
 * The certificate is the commit point: each creator writes its CA to private temp files and `link()`s
 * its certificate to `ca.crt`, which fails with EEXIST for all but one. Only the winner then renames its
 * key into place; losers discard theirs and wait for the winner's key. A creator that dies between the
 * two steps leaves a certificate without key, reported as BOOTSTRAP_CA_INCOMPLETE rather than papered over.
 */
export async function loadOrCreateCA (dir: string, opts: LoadOrCreateCAOptions = {}): Promise<CertificateAuthority> {
  await mkdir(dir, { recursive: true, mode: 0o700 })
  const certPath = join(dir, 'ca.crt')
  const keyPath = join(dir, 'ca.key')
  const waitMs = opts.waitMs ?? 10_000
  let certPem = await readIfExists(certPath)
  if (certPem === undefined) {
    const ca = await createCA({ commonName: opts.commonName ?? 'edgemesh-cluster-ca' })
    const tag = `${process.pid}.${randomBytes(6).toString('hex')}`
    const tmpCert = join(dir, `.ca.crt.${tag}`)
    const tmpKey = join(dir, `.ca.key.${tag}`)
    await writeFile(tmpKey, ca.keyPem, { mode: 0o600, flag: 'wx' })
    await writeFile(tmpCert, ca.certPem, { mode: 0o644, flag: 'wx' })
    let won = false
    try {
      await link(tmpCert, certPath)
      won = true
    } catch (err) {
      if (!hasCode(err, 'EEXIST')) throw err
    } finally {
      await unlink(tmpCert).catch(() => {})
    }
    if (won) {
      await rename(tmpKey, keyPath)
      return ca
    }
    await unlink(tmpKey).catch(() => {})
    certPem = await readFile(certPath, 'utf8')
  }
  const deadline = Date.now() + waitMs
  for (;;) {
    const keyPem = await readIfExists(keyPath)
    if (keyPem !== undefined) return { certPem, keyPem }
    if (Date.now() > deadline) throw new BootstrapError('BOOTSTRAP_CA_INCOMPLETE', `${certPath} exists but ${keyPath} did not appear within ${waitMs} ms`)
    await sleep(20, opts.signal)
  }
}
