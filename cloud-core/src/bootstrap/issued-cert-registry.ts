import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import { hasCode } from '@edgemesh/common'

export interface IssuedCert {
  /** Hex SHA-256 of the node key's SubjectPublicKeyInfo. */
  keyFingerprint: string
  serialNumber: string
  notAfter: string
}

/**
 * Who owns which node name: name → the key its certificate was issued for. The bootstrap server
 * refuses a second key for a name and a key already bound to another name. The integrator backs it
 * with the store so every cloudcore sees the same table.
 */
export interface IssuedCertRegistry {
  get: (nodeName: string) => Promise<IssuedCert | undefined>
  /** The node whose certificate was issued for this key, if any. */
  findByKey: (keyFingerprint: string) => Promise<string | undefined>
  put: (nodeName: string, cert: IssuedCert) => Promise<void>
}

export class MemoryIssuedCertRegistry implements IssuedCertRegistry {
  protected readonly byName = new Map<string, IssuedCert>()

  async get (nodeName: string): Promise<IssuedCert | undefined> { return this.byName.get(nodeName) }

  async findByKey (keyFingerprint: string): Promise<string | undefined> {
    for (const [name, c] of this.byName) if (c.keyFingerprint === keyFingerprint) return name
    return undefined
  }

  async put (nodeName: string, cert: IssuedCert): Promise<void> { this.byName.set(nodeName, cert) }
}

/**
 * A JSON file in the data dir, rewritten atomically (temp + rename) on every put. Single-process: writes
 * are serialised in this object; two cloudcores need the store-backed registry.
 */
export class FileIssuedCertRegistry extends MemoryIssuedCertRegistry {
  private loaded?: Promise<void>
  private writing: Promise<void> = Promise.resolve()

  constructor (private readonly path: string) { super() }

  private async load (): Promise<void> {
    this.loaded ??= (async () => {
      try {
        const data = JSON.parse(await readFile(this.path, 'utf8')) as Record<string, IssuedCert>
        for (const [k, v] of Object.entries(data)) this.byName.set(k, v)
      } catch (err) {
        if (!hasCode(err, 'ENOENT')) throw err
      }
    })()
    await this.loaded
  }

  override async get (nodeName: string): Promise<IssuedCert | undefined> { await this.load(); return await super.get(nodeName) }
  override async findByKey (fp: string): Promise<string | undefined> { await this.load(); return await super.findByKey(fp) }

  override async put (nodeName: string, cert: IssuedCert): Promise<void> {
    await this.load()
    await super.put(nodeName, cert)
    const text = JSON.stringify(Object.fromEntries(this.byName), null, 2)
    const write = this.writing.then(async () => {
      await mkdir(dirname(this.path), { recursive: true })
      const tmp = `${this.path}.${process.pid}.tmp`
      await writeFile(tmp, text, { mode: 0o600 })
      await rename(tmp, this.path)
    })
    this.writing = write.catch(() => {})
    await write
  }
}
