import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiProblem, api, setCsrfToken, setUnauthorizedHandler } from './client.ts';

interface Captured {
  url: string;
  init: RequestInit;
}

function respond(status: number, body: unknown, contentType = 'application/json') {
  const calls: Captured[] = [];
  vi.stubGlobal('fetch', async (url: URL, init: RequestInit) => {
    calls.push({ url: String(url), init });
    const text = body === undefined ? null : typeof body === 'string' ? body : JSON.stringify(body);
    return new Response(text, { status, headers: { 'content-type': contentType, 'request-id': 'req_hdr' } });
  });
  return calls;
}

describe('api client', () => {
  beforeEach(() => {
    vi.stubGlobal('window', { location: { origin: 'https://portal.test' } });
    setCsrfToken('csrf-123');
  });
  afterEach(() => {
    vi.unstubAllGlobals();
    setCsrfToken(null);
    setUnauthorizedHandler(null);
  });

  it('repeats a query parameter given as an array, and leaves out an empty one', async () => {
    const calls = respond(200, { data: [] });
    await api.get('/api/v1/audit-events', { query: { action: ['webhook.created', 'webhook.deleted'], cursor: null } });
    await api.get('/api/v1/audit-events', { query: { action: [] } });
    expect(calls.map((c) => c.url)).toEqual([
      'https://portal.test/api/v1/audit-events?action=webhook.created&action=webhook.deleted',
      'https://portal.test/api/v1/audit-events',
    ]);
  });

  it('sends cookies same-origin, the CSRF token on writes only, and JSON bodies', async () => {
    const calls = respond(200, { ok: true });
    await api.get('/portal/api/api-keys', { query: { limit: 10, cursor: null, status: '' } });
    await api.post('/portal/api/api-keys/key_1/revoke');
    const [get, post] = calls;
    expect(get!.url).toBe('https://portal.test/portal/api/api-keys?limit=10');
    expect(get!.init.credentials).toBe('same-origin');
    expect((get!.init.headers as Record<string, string>)['x-csrf-token']).toBeUndefined();
    expect((post!.init.headers as Record<string, string>)['x-csrf-token']).toBe('csrf-123');
    expect((post!.init.headers as Record<string, string>)['content-type']).toBe('application/json');
    expect(post!.init.body).toBe('{}');
  });

  it('sends DELETE without a body or content type and maps 204 to undefined', async () => {
    const calls = respond(204, undefined);
    await expect(api.delete('/api/v1/webhooks/whsub_1')).resolves.toBeUndefined();
    expect(calls[0]!.init.body).toBeUndefined();
    expect((calls[0]!.init.headers as Record<string, string>)['content-type']).toBeUndefined();
  });

  it('turns problem+json into an ApiProblem with detail and field errors', async () => {
    respond(
      400,
      {
        type: 'https://docs.faro.app/problems/validation-failed',
        title: 'The request is not valid',
        status: 400,
        detail: 'One or more fields are not valid; see errors.',
        code: 'validation_failed',
        request_id: 'req_1',
        errors: [
          { path: 'body.events[0]', message: 'unknown event type' },
          { path: 'body.url', message: 'must be https' },
        ],
      },
      'application/problem+json',
    );
    const error = await api.post('/api/v1/webhooks', { url: 'x', events: ['nope'] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiProblem);
    const problem = error as ApiProblem;
    expect(problem.status).toBe(400);
    expect(problem.code).toBe('validation_failed');
    expect(problem.detail).toBe('One or more fields are not valid; see errors.');
    expect(problem.requestId).toBe('req_1');
    expect(problem.fieldErrors()).toEqual({ events: 'unknown event type', url: 'must be https' });
  });

  it('calls the unauthorized handler on 401 unless told to stay quiet', async () => {
    const handler = vi.fn();
    setUnauthorizedHandler(handler);
    respond(401, { title: 'The session is missing or has expired', status: 401, code: 'invalid_session' }, 'application/problem+json');
    await expect(api.get('/portal/api/api-keys')).rejects.toMatchObject({ status: 401, code: 'invalid_session' });
    expect(handler).toHaveBeenCalledTimes(1);
    await expect(api.get('/portal/api/me', { quiet401: true })).rejects.toBeInstanceOf(ApiProblem);
    expect(handler).toHaveBeenCalledTimes(1);
  });

  it('survives non-JSON error bodies and network failures', async () => {
    respond(502, '<html>Bad gateway</html>', 'text/html');
    await expect(api.get('/api/v1/webhooks')).rejects.toMatchObject({ status: 502, detail: 'Request failed (502)', requestId: 'req_hdr' });
    vi.stubGlobal('fetch', async () => {
      throw new TypeError('fetch failed');
    });
    await expect(api.get('/api/v1/webhooks')).rejects.toMatchObject({ status: 0, code: 'network_error' });
  });
});
