import { describe, expect, it } from 'vitest'
import { ImageTable, parseImage } from '../../src/edged/image-table.js'

const paths = { node: '/opt/node', echoServer: '/opt/echo.js', agent: '/opt/agent.js' }

describe('parseImage', () => {
  it('drops the registry host, docker.io library/ prefix, tag and digest', () => {
    expect(parseImage('node:20')).toEqual({ repo: 'node', tag: '20' })
    expect(parseImage('docker.io/library/python:3.12')).toEqual({ repo: 'python', tag: '3.12' })
    expect(parseImage('registry.example:5000/kubeedge/edgemesh-agent:v1.17@sha256:abc')).toEqual({ repo: 'kubeedge/edgemesh-agent', tag: 'v1.17' })
    expect(parseImage('localhost/busybox')).toEqual({ repo: 'busybox', tag: 'latest' })
  })
})

describe('ImageTable', () => {
  const t = new ImageTable({ 'myapp:2': { entrypoint: ['/srv/myapp'], cmd: ['--serve'] } }, paths)
  it('maps the built-in echo image to the echo server on this Node', () => {
    expect(t.argv({ image: 'edgemesh/echo-server:1.0' })).toEqual(['/opt/node', '/opt/echo.js'])
  })
  it('applies command/args as a container runtime does: command replaces the entrypoint, args the cmd', () => {
    expect(t.argv({ image: 'myapp:2' })).toEqual(['/srv/myapp', '--serve'])
    expect(t.argv({ image: 'myapp:2', args: ['--check'] })).toEqual(['/srv/myapp', '--check'])
    expect(t.argv({ image: 'myapp:2', command: ['/bin/true'] })).toEqual(['/bin/true'])
  })
  it('runs node images with this process\'s Node binary and generic images with the node\'s binaries', () => {
    expect(t.argv({ image: 'node:20', command: ['node', '-e', '1'] })).toEqual(['/opt/node', '-e', '1'])
    expect(t.argv({ image: 'busybox', command: ['sleep', '5'] })).toEqual(['sleep', '5'])
    expect(t.argv({ image: 'busybox' })).toEqual(['sh'])
  })
  it('refuses an unknown image, or a tag the table only knows for another tag, with EDGED_IMAGE_UNKNOWN', () => {
    expect(() => t.argv({ image: 'quay.io/nope/nope:1' })).toThrow(expect.objectContaining({ code: 'EDGED_IMAGE_UNKNOWN' }))
    expect(() => t.argv({ image: 'myapp:3' })).toThrow(expect.objectContaining({ code: 'EDGED_IMAGE_UNKNOWN' }))
  })
})
