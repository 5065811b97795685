import t from 'tap'
import { IssuerTemplate, isIssuerTemplate } from '../../lib/token/issuer-template.js'

const TEMPLATE = 'https://login.microsoftonline.com/{tenantid}/v2.0'
const iss = (tenant: string): string => `https://login.microsoftonline.com/${tenant}/v2.0`

t.test('a template is recognised by its placeholder', async (t) => {
  t.equal(isIssuerTemplate(TEMPLATE), true)
  t.equal(isIssuerTemplate('https://login.microsoftonline.com/common/v2.0'), false)
})

t.test('the tenant is one path segment of the template, nothing around it', async (t) => {
  const template = new IssuerTemplate(TEMPLATE, ['t1'])
  t.equal(template.tenantOf(iss('t1')), 't1')
  t.equal(template.tenantOf(iss('8eaef023-2b34-4da1-9baa-8bc8c9d6a490')), '8eaef023-2b34-4da1-9baa-8bc8c9d6a490')
  for (const other of [iss('a/b'), iss(''), `${iss('t1')}/`, 'https://loginXmicrosoftonline.com/t1/v2.0', iss('t1?x'), iss('-t1'), iss('x'.repeat(129))]) {
    t.equal(template.tenantOf(other), null, other)
  }
  t.equal(template.tenantOf(42), null)
})

t.test('verified claims pass when iss names an allowed tenant and tid names the same', async (t) => {
  const template = new IssuerTemplate(TEMPLATE, ['t1', 't2'])
  t.equal(template.accepts({ iss: iss('t1'), tid: 't1' }), true)
  t.equal(template.accepts({ iss: iss('t1'), tid: 't2' }), false)
  t.equal(template.accepts({ iss: iss('t1') }), false)
  t.equal(template.accepts({ iss: iss('t3'), tid: 't3' }), false)
})

t.test('a tenant function allows only on a literal true, and a throw refuses', async (t) => {
  const template = new IssuerTemplate(TEMPLATE, (tenant) => {
    if (tenant === 'boom') throw new Error('lookup failed')
    return (tenant === 'yes' ? true : 'truthy') as boolean
  })
  t.equal(template.allowedTenantOf(iss('yes')), 'yes')
  t.equal(template.allowedTenantOf(iss('maybe')), null)
  t.equal(template.allowedTenantOf(iss('boom')), null)
})
