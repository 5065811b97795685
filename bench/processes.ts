/**
 * Child processes of the benchmark: servers pinned to one CPU, the load generator to another,
 * with `taskset` (util-linux) when it exists, so neither steals the other's cycles.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { LoadCommand, LoadResult } from './load.js'
import type { ServerSpec } from './servers.js'

/** CPU of the servers and CPU of the load generator. */
export const SERVER_CPU = 0
export const LOAD_CPU = 1

const here = (file: string): string => fileURLToPath(new URL(file, import.meta.url))

/** Whether `taskset` can pin processes here (it needs util-linux and at least two CPUs). */
export function canPin (): boolean {
  const probe = spawnSync('taskset', ['-c', String(LOAD_CPU), 'true'], { stdio: 'ignore' })
  return probe.status === 0
}

function startNode (script: string, cpu: number, pin: boolean, env: Record<string, string> = {}): ChildProcess {
  const node = [process.execPath, '--import', 'tsx', here(script)]
  const [command, ...args] = pin ? ['taskset', '-c', String(cpu), ...node] : node
  return spawn(command, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], env: { ...process.env, ...env } })
}

async function firstMessage<T> (child: ChildProcess, what: string): Promise<T> {
  return await new Promise<T>((resolve, reject) => {
    child.once('message', (message) => resolve(message as T))
    child.once('exit', (code) => reject(new Error(`${what} exited (${code}) before it was ready`)))
  })
}

/** A running server process. */
export interface ServerProcess {
  url: string
  /** CPU time the server process used so far, in microseconds. */
  cpu: () => Promise<number>
  stop: () => void
}

/** Starts one server configuration on the server CPU; rejects with its startup error. */
export async function startServer (spec: ServerSpec, pin: boolean): Promise<ServerProcess> {
  const child = startNode('./server.ts', SERVER_CPU, pin, { BENCH_SERVER: JSON.stringify(spec) })
  const message = await firstMessage<{ port?: number, error?: string }>(child, `server ${spec.kind}`)
  if (message.port === undefined) throw new Error(message.error ?? 'no port')
  const cpu = async (): Promise<number> => await new Promise<number>((resolve) => {
    child.once('message', (reply) => resolve((reply as { cpu: number }).cpu))
    child.send('cpu')
  })
  return { url: `http://127.0.0.1:${message.port}`, cpu, stop: () => child.disconnect() }
}

/** The load generator process. */
export interface LoadProcess {
  sendPool: (name: string, tokens: string[]) => Promise<void>
  run: (command: Omit<Extract<LoadCommand, { type: 'run' }>, 'type' | 'id'>) => Promise<LoadResult>
  stop: () => void
}

/** Starts autocannon's process on the load CPU. */
export async function startLoad (pin: boolean): Promise<LoadProcess> {
  const child = startNode('./load.ts', LOAD_CPU, pin)
  await firstMessage(child, 'load generator')
  let id = 0
  const waiting = new Map<number | string, { resolve: (value: never) => void, reject: (err: Error) => void }>()
  child.on('message', (message: { type: string, id?: number, name?: string, message?: string }) => {
    const key = message.type === 'pool' ? `pool:${message.name}` : message.id!
    const pending = waiting.get(key)
    waiting.delete(key)
    if (message.type === 'error') pending?.reject(new Error(message.message))
    else pending?.resolve(message as never)
  })
  const ask = async <T>(key: number | string, command: LoadCommand): Promise<T> => await new Promise<T>((resolve, reject) => {
    waiting.set(key, { resolve: resolve as (value: never) => void, reject })
    child.send(command)
  })
  return {
    sendPool: async (name, tokens) => { await ask(`pool:${name}`, { type: 'pool', name, tokens }) },
    run: async (command) => {
      const runId = ++id
      return await ask<LoadResult>(runId, { type: 'run', id: runId, ...command })
    },
    stop: () => child.disconnect()
  }
}
