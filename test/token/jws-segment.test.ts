import t from 'tap'
import { decodeSegment, hasRepeatedMembers, isCompactJWS, repeatsMemberName } from '../../lib/token/jws-segment.js'

const ALPHABET = /^[A-Za-z0-9_-]*$/

t.test('a segment holding any character outside base64url is refused, whatever its length', async (t) => {
  // Buffer reads U+0141 as 0x41 ("A"): without the ASCII check, "AAAŁ" decoded like "AAAA".
  let accepted = 0
  for (let code = 0; code < 0x10000; code++) {
    const char = String.fromCharCode(code)
    if (ALPHABET.test(char)) continue
    for (const base of ['AAAA', 'AAAAAA', 'AAAAAAA']) {
      for (let i = 0; i <= base.length; i++) {
        if (decodeSegment(base.slice(0, i) + char + base.slice(i)) !== undefined) accepted++
        if (i < base.length && decodeSegment(base.slice(0, i) + char + base.slice(i + 1)) !== undefined) accepted++
      }
    }
  }
  t.equal(accepted, 0)
})

t.test('a segment aliasing a valid one through a character above U+00FF is refused', async (t) => {
  t.ok(decodeSegment('AAAA'))
  t.equal(decodeSegment('AAA\u0141'), undefined)
  t.equal(decodeSegment('AAA\u0661'), undefined)
})

t.test('plain base64url segments decode as jose decodes them', async (t) => {
  for (const bytes of [Buffer.from([]), Buffer.from([0xfb]), Buffer.from([0xfb, 0xff]), Buffer.from('{"alg":"RS256"}')]) {
    const text = bytes.toString('base64url')
    t.same(decodeSegment(text), bytes)
  }
})

const segment = (json: string) => Buffer.from(json).toString('base64url')
const jws = (header: string, payload: string) => `${segment(header)}.${segment(payload)}.sig`

t.test('a top-level name repeated in the header or the payload is found, escaped or not', async (t) => {
  t.ok(hasRepeatedMembers(jws('{"alg":"RS256","alg":"none"}', '{}')))
  t.ok(hasRepeatedMembers(jws('{"alg":"RS256"}', '{"a":1,"a":2}')))
  t.ok(hasRepeatedMembers(jws('{"alg":"RS256"}', '{"sub":"x","s\\u0075b":"y"}')))
  t.ok(hasRepeatedMembers(jws('{"alg":"RS256"}', ' {"a":"b","b":1,"a":null}')))
})

t.test('names repeated in nested objects, in arrays, or as values are not repeated members', async (t) => {
  t.notOk(hasRepeatedMembers(jws('{"alg":"RS256"}', '{"a":{"x":1,"x":2},"b":[{"x":1},{"x":2}]}')))
  t.notOk(hasRepeatedMembers(jws('{"alg":"RS256"}', '{"a":"a","b":["a","a"],"c":"b"}')))
  t.notOk(hasRepeatedMembers(jws('{"alg":"RS256"}', '{"a":"\\"a\\"","b":"\\\\"}')))
  t.notOk(hasRepeatedMembers(jws('{"alg":"RS256"}', '{}')))
  t.notOk(hasRepeatedMembers(jws('{"alg":"RS256"}', '["a","a"]')), 'an array has no member names')
  t.notOk(hasRepeatedMembers('no-dots-at-all'))
  t.notOk(hasRepeatedMembers('one.dot'))
})

t.test('the compact JWS shape: three base64url segments, no padding, the signature possibly empty', async (t) => {
  t.ok(isCompactJWS('a.b.c'))
  t.ok(isCompactJWS('a-_.b.'))
  for (const token of ['a.b', 'a.b.c.d', '.b.c', 'a..c', 'a.b.c=', 'a+.b.c', 'a.b/.c', 'opaque-token']) t.notOk(isCompactJWS(token), token)
})

t.test('a JSON text naming a top-level member twice is found; other texts are not', async (t) => {
  t.ok(repeatsMemberName('{"active":true,"active":false}'))
  t.ok(repeatsMemberName('{"sub":"x","s\\u0075b":"y"}'))
  t.notOk(repeatsMemberName('{"a":{"x":1,"x":2}}'))
  t.notOk(repeatsMemberName('["a","a"]'))
  t.notOk(repeatsMemberName('not json'))
})
