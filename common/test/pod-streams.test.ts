import { describe, expect, it } from 'vitest'
import { POD_STREAM_CHANNEL, podStreamPair, podStreamRequestSchema, type PodStreamFrame } from '../src/pod-streams.js'

async function collect (it: AsyncIterable<PodStreamFrame>): Promise<PodStreamFrame[]> {
  const out: PodStreamFrame[] = []
  for await (const f of it) out.push(f)
  return out
}

describe('podStreamPair', () => {
  it('delivers frames in order both ways and ends each side on its own', async () => {
    const [cloud, node] = podStreamPair()
    const atNode = collect(node)
    await cloud.send(POD_STREAM_CHANNEL.stdin, Buffer.from('hi'))
    await cloud.send(POD_STREAM_CHANNEL.close, Uint8Array.of(0))
    await cloud.end()
    const got = await atNode
    expect(got.map(f => [f.channel, Buffer.from(f.data).toString('hex')])).toEqual([[0, '6869'], [255, '00']])
    // The node's side is still open after the cloud ended its own.
    const atCloud = collect(cloud)
    await node.send(POD_STREAM_CHANNEL.stdout, Buffer.from('out'))
    await node.end()
    expect((await atCloud).map(f => Buffer.from(f.data).toString())).toEqual(['out'])
  })

  it('makes send wait while the peer has not read maxBufferedFrames frames', async () => {
    const [a, b] = podStreamPair(2)
    await a.send(1, Uint8Array.of(1))
    let sent = false
    const third = a.send(1, Uint8Array.of(2)).then(() => { sent = true })
    await new Promise(resolve => setTimeout(resolve, 20))
    expect(sent).toBe(false)
    const iter = b[Symbol.asyncIterator]()
    await iter.next()
    await third
    expect(sent).toBe(true)
  })

  it('fails both iterations and later sends when either side aborts', async () => {
    const [a, b] = podStreamPair()
    const reading = collect(b)
    a.abort('gone')
    await expect(reading).rejects.toMatchObject({ code: 'POD_STREAM_ABORTED' })
    await expect(b.send(1, Uint8Array.of(1))).rejects.toMatchObject({ code: 'POD_STREAM_ABORTED' })
    expect(a.signal.aborted && b.signal.aborted).toBe(true)
  })
})

describe('podStreamRequestSchema', () => {
  it('accepts a kubectl exec request and refuses unknown keys and bad names', () => {
    expect(podStreamRequestSchema.parse({ kind: 'exec', namespace: 'default', pod: 'web-1', command: ['cat', '/etc/resolv.conf'], stdout: true })).toMatchObject({ kind: 'exec' })
    expect(podStreamRequestSchema.safeParse({ kind: 'exec', namespace: 'default', pod: 'web-1', shell: true }).success).toBe(false)
    expect(podStreamRequestSchema.safeParse({ kind: 'log', namespace: '../etc', pod: 'x' }).success).toBe(false)
    expect(podStreamRequestSchema.safeParse({ kind: 'portforward', namespace: 'a', pod: 'b', port: 70000 }).success).toBe(false)
  })
})
