import { fileURLToPath } from 'node:url'
import { z } from 'zod'
import type { Container } from 'kubernetes-types/core/v1.js'
import { EdgedError } from './errors.js'

/**
 * How the process runtime turns an image into a process: an image's entrypoint and default cmd, as a
 * container image would have them (`command` in the pod spec replaces the entrypoint, `args` the cmd).
 * `$NODE` in an entrypoint is this process's own Node binary; `$ECHO_SERVER` the built-in echo server.
 * An image with no entrypoint runs the container's `command` with the node's own binaries.
 */
export const imageEntrySchema = z.object({
  entrypoint: z.array(z.string().min(1)).optional(),
  cmd: z.array(z.string()).optional(),
  /** Replace an argv[0] of `node` with this process's Node binary (images like `node:20`). @default false */
  nodeBinary: z.boolean().optional()
}).strict()
export type ImageEntry = z.infer<typeof imageEntrySchema>

/**
 * Image repositories (no registry host, no tag) the runtime knows by default. Keys in `edged.images`
 * override these or add others; a key may carry a tag (`myapp:2`) to match only that tag.
 */
export const DEFAULT_IMAGES: Readonly<Record<string, ImageEntry>> = {
  'edgemesh/echo-server': { entrypoint: ['$NODE', '$ECHO_SERVER'] },
  'kubeedge/edgemesh-agent': { entrypoint: ['$NODE', '$EDGEMESH_AGENT'] },
  node: { nodeBinary: true, cmd: ['node'] },
  busybox: { cmd: ['sh'] },
  alpine: { cmd: ['sh'] },
  debian: { cmd: ['bash'] },
  ubuntu: { cmd: ['bash'] },
  python: { cmd: ['python3'] },
  bash: { cmd: ['bash'] }
}

/** Where the `$`-placeholders point. */
export interface ImagePaths {
  node: string
  echoServer: string
  agent: string
}

export function defaultImagePaths (): ImagePaths {
  return {
    node: process.execPath,
    echoServer: fileURLToPath(new URL('../bin/echo-server.js', import.meta.url)),
    agent: fileURLToPath(new URL('../../../edgemesh-agent/dist/src/bin/edgemesh-agent.js', import.meta.url))
  }
}

/** `registry.example:5000/library/node:20@sha256:..` → { repo: 'node', tag: '20' } (docker.io's `library/` dropped). */
export function parseImage (image: string): { repo: string, tag: string } {
  let rest = image.split('@', 1)[0] ?? ''
  const parts = rest.split('/')
  if (parts.length > 1 && /[.:]|^localhost$/.test(parts[0] ?? '')) parts.shift()
  rest = parts.join('/')
  const colon = rest.lastIndexOf(':')
  const repo = colon > 0 ? rest.slice(0, colon) : rest
  const tag = colon > 0 ? rest.slice(colon + 1) : 'latest'
  return { repo: repo.startsWith('library/') ? repo.slice('library/'.length) : repo, tag }
}

export class ImageTable {
  private readonly entries: Map<string, ImageEntry>

  constructor (overrides: Record<string, ImageEntry> = {}, private readonly paths: ImagePaths = defaultImagePaths()) {
    this.entries = new Map(Object.entries({ ...DEFAULT_IMAGES, ...overrides }))
  }

  /** The argv a container runs. Throws EDGED_IMAGE_UNKNOWN for an image not in the table, EDGED_CONTAINER_CONFIG when nothing is left to run. */
  argv (container: Pick<Container, 'image' | 'command' | 'args'>): string[] {
    const image = container.image ?? ''
    const { repo, tag } = parseImage(image)
    const entry = this.entries.get(`${repo}:${tag}`) ?? this.entries.get(repo)
    if (entry === undefined) throw new EdgedError('EDGED_IMAGE_UNKNOWN', `image "${image}" is not in the process runtime's image table (edged.images)`)
    const hasCommand = container.command !== undefined && container.command.length > 0
    const argv = [...(hasCommand ? container.command! : entry.entrypoint ?? []), ...(container.args ?? (hasCommand ? [] : entry.cmd ?? []))]
    if (argv.length === 0) throw new EdgedError('EDGED_CONTAINER_CONFIG', `image "${image}" has no entrypoint in the runtime table and the container sets no command`)
    return argv.map((a, i) => {
      if (a === '$NODE') return this.paths.node
      if (a === '$ECHO_SERVER') return this.paths.echoServer
      if (a === '$EDGEMESH_AGENT') return this.paths.agent
      if (i === 0 && entry.nodeBinary === true && a === 'node') return this.paths.node
      return a
    })
  }
}
