import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { KubeObject } from '@edgemesh/common'
import { parseAllDocuments } from 'yaml'
import { ApiError } from '@edgemesh/kube/machinery'

/**
 * `cloud-core/crds/`, found from this module whether it runs from src/ (tests, tsx) or from
 * dist/src/ (the built binary): the two layouts sit at different depths.
 */
async function crdDir (): Promise<string> {
  for (const rel of ['../../../crds/', '../../../../crds/']) {
    const dir = fileURLToPath(new URL(rel, import.meta.url))
    try {
      await readdir(dir)
      return dir
    } catch {
      // not this layout; try the next
    }
  }
  throw new ApiError('InternalError', 'cannot find the shipped CRD manifests (cloud-core/crds)')
}

/** The CustomResourceDefinitions cloudcore applies at start when missing (Device, DeviceModel, DestinationRule). */
export async function shippedCrds (dir?: string): Promise<KubeObject[]> {
  const base = dir ?? await crdDir()
  const files = (await readdir(base)).filter(f => f.endsWith('.yaml') || f.endsWith('.yml')).sort()
  const out: KubeObject[] = []
  for (const f of files) {
    for (const doc of parseAllDocuments(await readFile(join(base, f), 'utf8'))) {
      if (doc.errors.length > 0) throw new ApiError('InternalError', `invalid YAML in ${f}: ${doc.errors[0]?.message ?? ''}`)
      const obj = doc.toJS() as KubeObject | null
      if (obj?.kind === 'CustomResourceDefinition') out.push(obj)
    }
  }
  return out
}
