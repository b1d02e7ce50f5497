#!/usr/bin/env node
// The process runtime's built-in `edgemesh/echo-server` image: an HTTP server that answers every request
// with its pod name and the request path (`<pod> <path>`), for demos and tests. Port from PORT (default
// 8080), listening on every address of the pod's network namespace. Logs one line per request to stdout
// and says so when SIGTERM arrives, then finishes in-flight requests and exits 0.
import { createServer } from 'node:http'

const pod = process.env.POD_NAME ?? process.env.HOSTNAME ?? 'echo'
const port = Number(process.env.PORT ?? 8080)
const server = createServer((req, res) => {
  const body = `${pod} ${req.url ?? '/'}\n`
  process.stdout.write(`${new Date().toISOString()} ${req.method ?? 'GET'} ${req.url ?? '/'}\n`)
  res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'x-pod-name': pod, 'content-length': Buffer.byteLength(body) })
  res.end(body)
})
server.keepAliveTimeout = 5000
server.listen(port, () => { process.stdout.write(`echo-server ${pod} listening on :${port}\n`) })
process.once('SIGTERM', () => {
  process.stdout.write('SIGTERM received, shutting down\n')
  server.close(() => process.exit(0))
  server.closeIdleConnections()
})
