/**
 * A redis-server for the shared-store rows: Debian's (or REDIS_SERVER_PATH), on a free loopback
 * port, without persistence, stopped with the benchmark.
 */
import { spawn } from 'node:child_process'
import { createServer } from 'node:net'

/** A running redis-server. */
export interface BenchRedis {
  port: number
  stop: () => void
}

async function freePort (): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}

/** Starts redis-server and resolves once it accepts connections. */
export async function startRedisServer (): Promise<BenchRedis> {
  const port = await freePort()
  const child = spawn(process.env.REDIS_SERVER_PATH ?? 'redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'inherit'] })
  await new Promise<void>((resolve, reject) => {
    let output = ''
    child.stdout.on('data', (chunk: Buffer) => {
      output += String(chunk)
      if (output.includes('Ready to accept connections')) resolve()
    })
    child.once('exit', (code) => reject(new Error(`redis-server exited (${code})`)))
    child.once('error', reject)
  })
  child.stdout.resume()
  return { port, stop: () => { child.kill('SIGTERM') } }
}
