import { describe, expect, it } from 'vitest';
import { classifySendError } from './sender.ts';

const withCode = (code: string, message = `failed: ${code}`) => Object.assign(new Error(message), { code });

describe('classifySendError', () => {
  it.each([
    ['ERR_SSRF_BLOCKED', 'ssrf_blocked'],
    ['ERR_WEBHOOK_TIMEOUT', 'timeout'],
    ['UND_ERR_CONNECT_TIMEOUT', 'timeout'],
    ['UND_ERR_HEADERS_TIMEOUT', 'timeout'],
    ['UND_ERR_BODY_TIMEOUT', 'timeout'],
    ['ETIMEDOUT', 'timeout'],
    ['ENOTFOUND', 'dns'],
    ['EAI_AGAIN', 'dns'],
    ['EAI_FAIL', 'dns'],
    ['DEPTH_ZERO_SELF_SIGNED_CERT', 'tls'],
    ['SELF_SIGNED_CERT_IN_CHAIN', 'tls'],
    ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'tls'],
    ['CERT_HAS_EXPIRED', 'tls'],
    ['ERR_TLS_CERT_ALTNAME_INVALID', 'tls'],
    ['ERR_SSL_WRONG_VERSION_NUMBER', 'tls'],
    ['ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE', 'tls'],
    ['ECONNREFUSED', 'connection'],
    ['ECONNRESET', 'connection'],
    ['EHOSTUNREACH', 'connection'],
    ['UND_ERR_SOCKET', 'connection'],
  ])('maps %s to %s', (code, kind) => {
    expect(classifySendError(withCode(code))).toEqual({ kind, message: `failed: ${code}` });
  });

  it('treats an unknown error as a connection failure', () => {
    expect(classifySendError(new Error('something odd'))).toEqual({ kind: 'connection', message: 'something odd' });
    expect(classifySendError('a string')).toEqual({ kind: 'connection', message: 'a string' });
  });

  it('maps a TimeoutError by name (AbortSignal.timeout)', () => {
    expect(classifySendError(new DOMException('The operation timed out', 'TimeoutError')).kind).toBe('timeout');
  });

  it('looks through cause', () => {
    const err = new Error('fetch failed', { cause: withCode('ENOTFOUND', 'getaddrinfo ENOTFOUND x.test') });
    expect(classifySendError(err)).toEqual({ kind: 'dns', message: 'getaddrinfo ENOTFOUND x.test' });
  });

  it('looks through AggregateError (happy eyeballs)', () => {
    const err = new AggregateError([withCode('ECONNREFUSED'), withCode('ETIMEDOUT')], 'all attempts failed');
    expect(classifySendError(err).kind).toBe('timeout');
  });

  it('lets ssrf_blocked win over anything else in the chain', () => {
    const err = Object.assign(withCode('ETIMEDOUT'), { cause: withCode('ERR_SSRF_BLOCKED', 'x resolves to a private or internal address') });
    expect(classifySendError(err)).toEqual({ kind: 'ssrf_blocked', message: 'x resolves to a private or internal address' });
  });

  it('survives a cause cycle', () => {
    const a: Error & { cause?: unknown } = new Error('a');
    a.cause = a;
    expect(classifySendError(a).kind).toBe('connection');
  });

  it('trims and bounds the message', () => {
    expect(classifySendError(withCode('ERR_SSL_X', 'openssl says no\n')).message).toBe('openssl says no');
    expect(classifySendError(new Error('x'.repeat(2000))).message).toHaveLength(500);
  });
});
