import { chmod, mkdir, rename, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import type { NodeCredentials } from './join.js'

/** Where edgecore keeps its credentials under the data dir (keadm join writes them, edgecore reads them). */
export function credentialPaths (dataDir: string): { ca: string, cert: string, key: string } {
  return { ca: `${dataDir}/pki/ca.crt`, cert: `${dataDir}/pki/node.crt`, key: `${dataDir}/pki/node.key` }
}

/** Writes the node credentials atomically (temp file + rename), the key readable by its owner only. */
export async function saveNodeCredentials (dataDir: string, creds: NodeCredentials): Promise<void> {
  const p = credentialPaths(dataDir)
  await mkdir(dirname(p.key), { recursive: true, mode: 0o700 })
  for (const [file, text, mode] of [[p.ca, creds.caPem, 0o644], [p.cert, creds.certPem, 0o644], [p.key, creds.keyPem, 0o600]] as const) {
    const tmp = `${file}.tmp-${process.pid}`
    await writeFile(tmp, text, { mode })
    await chmod(tmp, mode)
    await rename(tmp, file)
  }
}
