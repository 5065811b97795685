import t from 'tap'
import { decodeSegment } from '../../lib/token/jws-segment.js'

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
