// How option problems are worded: one line per problem, named by its path, saying what was
// expected and what was received; a union's problem is said inside the member the value was for.
import { Type } from '@sinclair/typebox'
import t from 'tap'
import { describe, schemaProblems, urlProblem } from '../lib/option-messages.js'

const Cache = Type.Object({
  cache: Type.Optional(Type.Union([Type.Literal(false), Type.Object({
    maxEntries: Type.Optional(Type.Integer({ minimum: 1 })),
    maxAge: Type.Optional(Type.Integer({ minimum: 1, unit: 'milliseconds' }))
  }, { additionalProperties: false })], { expected: 'false, or { maxEntries, maxAge }' })),
  audience: Type.Optional(Type.Union([Type.String({ minLength: 1 }), Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })], { expected: 'a string, or a non-empty list of them' }))
}, { additionalProperties: false })

t.test('an object meant for a union member gets that member\'s problems, each at its own path', async (t) => {
  t.same(schemaProblems(Cache, { cache: { maxEntries: 0, maxAge: 0, extra: 1 } }), [
    'options.cache.extra: unexpected property, received 1',
    'options.cache.maxEntries: expected integer to be greater or equal to 1, received 0',
    'options.cache.maxAge: expected integer to be greater or equal to 1 (milliseconds), received 0'
  ])
})

t.test('a list meant for a union member is checked item by item', async (t) => {
  t.same(schemaProblems(Cache, { audience: ['api', ''] }), ['options.audience.1: expected string length greater or equal to 1, received ""'])
})

t.test('a value of no member\'s kind, or a problem of the whole value, gets the union\'s own line', async (t) => {
  t.same(schemaProblems(Cache, { cache: true }), ['options.cache: expected false, or { maxEntries, maxAge }, received true'])
  t.same(schemaProblems(Cache, { audience: [] }), ['options.audience: expected a string, or a non-empty list of them, received []'])
})

t.test('the root and unknown options are named', async (t) => {
  t.same(schemaProblems(Cache, { nope: 1 }, 'options.docs'), ['options.docs.nope: unexpected property, received 1'])
})

t.test('received values are shown as JSON, cut at 60 characters; functions and undefined by name', async (t) => {
  t.equal(describe(undefined), 'undefined')
  t.equal(describe(() => true), 'a function')
  t.equal(describe('x'.repeat(100)), `"${'x'.repeat(56)}...`)
  t.equal(describe(10n), 'bigint', 'what JSON cannot show is named by its type')
})

t.test('URLs: https, or http on a loopback host, without query or fragment', async (t) => {
  t.equal(urlProblem('https://id.example.com'), null)
  t.equal(urlProblem('http://127.0.0.1:8080'), null)
  t.equal(urlProblem('http://[::1]/x'), null)
  t.equal(urlProblem('http://id.example.com'), 'expected an https URL (http is allowed for localhost only), received "http://id.example.com"')
  t.equal(urlProblem('https://id.example.com/?a=1'), 'expected a URL without query or fragment, received "https://id.example.com/?a=1"')
  t.equal(urlProblem('not a url'), 'expected an absolute URL, received "not a url"')
})
