import { chmod, mkdir, rename, writeFile } from 'node:fs/promises'
import { dirname, join, normalize } from 'node:path'
import type { Container, KeyToPath, Volume } from 'kubernetes-types/core/v1.js'
import type { ConfigMap, Pod, Secret } from '@edgemesh/kube/machinery'
import { podFieldValue, type PodAddresses } from './container-env.js'
import { EdgedError } from './errors.js'

/** A bind mount for one container: `source` on the node at `target` in the container's mount namespace. */
export interface Mount { source: string, target: string, readOnly: boolean }

export interface VolumeSources {
  configMap: (namespace: string, name: string) => ConfigMap | undefined
  secret: (namespace: string, name: string) => Secret | undefined
}

const bad = (msg: string): EdgedError => new EdgedError('EDGED_CONTAINER_CONFIG', msg)

/** A relative path inside a volume, refused when it would leave the volume (`..`, absolute). */
function safeRel (path: string, what: string): string {
  const n = normalize(path)
  if (n.startsWith('/') || n === '..' || n.startsWith('../') || n === '.') throw bad(`${what}: path "${path}" must be relative and stay inside the volume`)
  return n
}

async function writeAtomic (file: string, data: string | Buffer, mode: number): Promise<void> {
  await mkdir(dirname(file), { recursive: true })
  const tmp = `${file}.edged-tmp`
  await writeFile(tmp, data, { mode })
  await chmod(tmp, mode)
  await rename(tmp, file)
}

function entries (data: Record<string, Buffer>, items: KeyToPath[] | undefined, what: string, optional: boolean): Array<{ path: string, data: Buffer, mode?: number }> {
  if (items === undefined) return Object.entries(data).map(([k, v]) => ({ path: safeRel(k, what), data: v }))
  return items.flatMap(it => {
    const v = data[it.key]
    if (v === undefined) { if (optional) return []; throw bad(`${what}: couldn't find key ${it.key}`) }
    return [{ path: safeRel(it.path, what), data: v, mode: it.mode }]
  })
}

const cmData = (cm: ConfigMap): Record<string, Buffer> => ({
  ...Object.fromEntries(Object.entries(cm.data ?? {}).map(([k, v]) => [k, Buffer.from(v)])),
  ...Object.fromEntries(Object.entries(cm.binaryData ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')]))
})
const secretData = (s: Secret): Record<string, Buffer> => ({
  ...Object.fromEntries(Object.entries(s.stringData ?? {}).map(([k, v]) => [k, Buffer.from(v)])),
  ...Object.fromEntries(Object.entries(s.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')]))
})

/** A downwardAPI file: the whole label/annotation map (one `k="v"` line per key, sorted), else the field as env reads it. */
function downward (pod: Pod, addr: PodAddresses, fieldPath: string): string {
  if (fieldPath === 'metadata.labels' || fieldPath === 'metadata.annotations') {
    const map = (fieldPath === 'metadata.labels' ? pod.metadata.labels : pod.metadata.annotations) ?? {}
    return Object.keys(map).sort().map(k => `${k}="${String(map[k]).replace(/["\\\n]/g, c => c === '\n' ? '\\n' : `\\${c}`)}"`).join('\n')
  }
  return podFieldValue(pod, addr, fieldPath)
}

/**
 * Materialises a pod's volumes under `dir/<volume>` (configMap, secret, downwardAPI, projected of those,
 * emptyDir) or points at the node's path (hostPath), and returns where each volume lives. Writes are
 * atomic per file, so calling it again after a ConfigMap or Secret changed updates the files in place
 * (running containers see the new content, as with kubelet). Throws EDGED_CONTAINER_CONFIG for a missing
 * non-optional source or key, a path leaving its volume, or a volume type the process runtime cannot
 * provide (persistentVolumeClaim, nfs, csi, ...).
 */
export async function materialiseVolumes (pod: Pod, dir: string, src: VolumeSources, addr: PodAddresses): Promise<Map<string, string>> {
  const ns = pod.metadata.namespace ?? 'default'
  const out = new Map<string, string>()
  for (const v of pod.spec?.volumes ?? []) {
    const path = join(dir, safeRel(v.name, 'volume name'))
    const files = await volumeFiles(v, pod, ns, src, addr)
    if (v.hostPath !== undefined) {
      if (v.hostPath.type === 'DirectoryOrCreate') await mkdir(v.hostPath.path, { recursive: true, mode: 0o755 })
      out.set(v.name, v.hostPath.path)
      continue
    }
    await mkdir(path, { recursive: true, mode: 0o755 })
    for (const f of files ?? []) await writeAtomic(join(path, f.path), f.data, f.mode ?? 0o644)
    out.set(v.name, path)
  }
  return out
}

async function volumeFiles (v: Volume, pod: Pod, ns: string, src: VolumeSources, addr: PodAddresses): Promise<Array<{ path: string, data: Buffer, mode?: number }> | undefined> {
  const what = `volume "${v.name}"`
  if (v.emptyDir !== undefined || v.hostPath !== undefined) return undefined
  if (v.configMap !== undefined) {
    const cm = src.configMap(ns, v.configMap.name ?? '')
    if (cm === undefined) { if (v.configMap.optional === true) return []; throw bad(`${what}: configmap "${v.configMap.name ?? ''}" not found`) }
    return entries(cmData(cm), v.configMap.items, what, v.configMap.optional === true).map(f => ({ ...f, mode: f.mode ?? v.configMap!.defaultMode }))
  }
  if (v.secret !== undefined) {
    const s = src.secret(ns, v.secret.secretName ?? '')
    if (s === undefined) { if (v.secret.optional === true) return []; throw bad(`${what}: secret "${v.secret.secretName ?? ''}" not found`) }
    return entries(secretData(s), v.secret.items, what, v.secret.optional === true).map(f => ({ ...f, mode: f.mode ?? v.secret!.defaultMode ?? 0o644 }))
  }
  if (v.downwardAPI !== undefined) {
    return (v.downwardAPI.items ?? []).map(it => {
      if (it.fieldRef === undefined) throw bad(`${what}: only fieldRef items are supported`)
      return { path: safeRel(it.path, what), data: Buffer.from(downward(pod, addr, it.fieldRef.fieldPath)), mode: it.mode ?? v.downwardAPI!.defaultMode }
    })
  }
  if (v.projected !== undefined) {
    const all: Array<{ path: string, data: Buffer, mode?: number }> = []
    for (const p of v.projected.sources ?? []) {
      const sub: Volume = { name: v.name, ...(p.configMap !== undefined ? { configMap: p.configMap } : {}), ...(p.secret !== undefined ? { secret: { secretName: p.secret.name, items: p.secret.items, optional: p.secret.optional } } : {}), ...(p.downwardAPI !== undefined ? { downwardAPI: p.downwardAPI } : {}) }
      if (Object.keys(sub).length === 1) throw bad(`${what}: projected source ${Object.keys(p).join(',')} is not supported by the process runtime`)
      all.push(...(await volumeFiles(sub, pod, ns, src, addr) ?? []).map(f => ({ ...f, mode: f.mode ?? v.projected!.defaultMode })))
    }
    return all
  }
  const type = Object.keys(v).find(k => k !== 'name') ?? 'none'
  throw bad(`${what}: volume type ${type} is not supported by the process runtime (configMap, secret, downwardAPI, projected, emptyDir, hostPath are)`)
}

/** A container's bind mounts from its volumeMounts. Throws EDGED_CONTAINER_CONFIG for a mount of an undeclared volume. */
export function containerMounts (c: Container, volumes: Map<string, string>): Mount[] {
  return (c.volumeMounts ?? []).map(m => {
    const base = volumes.get(m.name)
    if (base === undefined) throw bad(`volumeMount "${m.name}" refers to no volume of the pod`)
    if (!m.mountPath.startsWith('/')) throw bad(`volumeMount "${m.name}": mountPath "${m.mountPath}" must be absolute`)
    return { source: m.subPath !== undefined && m.subPath !== '' ? join(base, safeRel(m.subPath, `volumeMount "${m.name}" subPath`)) : base, target: normalize(m.mountPath), readOnly: m.readOnly === true }
  })
}
