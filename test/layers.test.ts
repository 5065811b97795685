// The import graph of lib/: dependencies point one way (token ← fastify ← openapi ← plugin; testing
// stands alone), and no file reaches itself through its imports, type imports included.
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const lib = join(root, 'lib')

// Static, type-only, re-export and dynamic imports alike; `[^'"]*?` spans multi-line import lists.
const IMPORT = /(?:\bimport|\bexport)\s*(?:[^'"`;]*?\bfrom\s*)?\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g

function listFiles (dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return listFiles(path)
    return entry.name.endsWith('.ts') ? [path] : []
  })
}

/** lib-relative file → lib-relative files it imports. */
function importGraph (): Map<string, string[]> {
  const graph = new Map<string, string[]>()
  for (const file of listFiles(lib)) {
    const source = readFileSync(file, 'utf8')
    const targets = new Set<string>()
    for (const match of source.matchAll(IMPORT)) {
      targets.add(relative(lib, join(dirname(file), match[1]!.replace(/\.js$/, '.ts'))))
    }
    graph.set(relative(lib, file), [...targets].sort())
  }
  return graph
}

const graph = importGraph()

// What each layer may import inside lib/ (besides its own folder). Top-level files not listed
// (plugin.ts, options.ts, issuer-options.ts, trusted-issuers.ts, types.ts, index.ts) assemble
// everything and may import any layer.
// Leaf modules every layer may use: the error classes, the symbols, and how option problems are worded.
const SHARED = ['errors.ts', 'symbols.ts', 'option-messages.ts']
const shared = SHARED.join(', ')
const LAYERS: Record<string, { may: (target: string) => boolean, rule: string }> = {
  'token/': {
    rule: `lib/token imports only lib/token and ${shared}`,
    may: (target) => target.startsWith('token/') || SHARED.includes(target)
  },
  'fastify/': {
    rule: `lib/fastify imports only lib/token, lib/fastify and ${shared}`,
    may: (target) => /^(token|fastify)\//.test(target) || SHARED.includes(target)
  },
  'openapi/': {
    rule: `lib/openapi imports only lib/token, lib/fastify, lib/openapi and ${shared}`,
    may: (target) => /^(token|fastify|openapi)\//.test(target) || SHARED.includes(target)
  },
  'store/': {
    rule: 'lib/store imports only lib/token, lib/store and errors.ts',
    may: (target) => /^(token|store)\//.test(target) || target === 'errors.ts'
  },
  'testing/': {
    rule: 'lib/testing stands alone: it imports only its own files',
    may: (target) => target.startsWith('testing/')
  }
}

t.test('the import scan sees the imports it must (a scan that finds nothing proves nothing)', async (t) => {
  t.ok(graph.size > 50, `${graph.size} files under lib/`)
  t.ok(graph.get('plugin.ts')?.includes('options.ts'), 'plugin.ts imports options.ts')
  t.ok(graph.get('index.ts')?.includes('types.ts'), 'index.ts re-exports types.ts (export type *)')
  const missing = [...graph].flatMap(([file, targets]) =>
    targets.filter((target) => !graph.has(target)).map((target) => `lib/${file} → lib/${target}`))
  t.strictSame(missing, [], 'every import resolves to a file under lib/')
})

for (const [layer, { may, rule }] of Object.entries(LAYERS)) {
  t.test(`dependencies point one way: ${rule}`, async (t) => {
    const wrong: string[] = []
    for (const [file, targets] of graph) {
      if (!file.startsWith(layer)) continue
      for (const target of targets) if (!may(target) && !debt(file, target)) wrong.push(`lib/${file} → lib/${target}`)
    }
    t.strictSame(wrong, [])
  })
}

// Debt, not design: imports that still close a cycle or cross a layer, each with why it is left.
// The test fails when one disappears, so the list can only shrink. Do not add to it: move the
// shared piece into the lower layer instead.
const DEBT: Record<string, string> = {
  // Empty since the option-message helpers, ValidationMode and ResolvedOptions got modules of
  // their own. A new entry needs a reason and a plan to remove it.
}
const debt = (file: string, target: string): boolean => `${file} → ${target}` in DEBT

t.test('every debt import still exists (a fixed one leaves the list)', async (t) => {
  const gone = Object.keys(DEBT).filter((edge) => {
    const [file, target] = edge.split(' → ') as [string, string]
    return graph.get(file)?.includes(target) !== true
  })
  t.strictSame(gone, [])
})

/** Every cycle found by a depth-first walk, each as the path that closes it. */
function findCycles (): string[][] {
  const cycles: string[][] = []
  const state = new Map<string, 'open' | 'done'>()
  const path: string[] = []
  const visit = (file: string): void => {
    state.set(file, 'open')
    path.push(file)
    for (const target of graph.get(file) ?? []) {
      if (debt(file, target)) continue
      if (state.get(target) === 'open') cycles.push([...path.slice(path.indexOf(target)), target])
      else if (!state.has(target)) visit(target)
    }
    path.pop()
    state.set(file, 'done')
  }
  for (const file of [...graph.keys()].sort()) if (!state.has(file)) visit(file)
  return cycles
}

t.test('no file imports itself through others, type imports included', async (t) => {
  const cycles = findCycles().map((cycle) => cycle.map((file) => `lib/${file}`).join(' → '))
  t.strictSame(cycles, [], cycles.join('\n'))
})
