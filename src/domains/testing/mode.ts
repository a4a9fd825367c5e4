import { ApiError } from '../../kit/errors.ts';

/**
 * `Faro-Mode`: on every public API response, the mode the request ran in (`live` or `test`). On a
 * request, the portal's switch: a session sends `Faro-Mode: test` to work in its agency's sandbox.
 * An API key needs no header: its mode is its own (a `faro_test_` key reaches the sandbox only).
 */
export const MODE_HEADER = 'faro-mode';
export type Mode = 'live' | 'test';

export const modeOf = (livemode: boolean): Mode => (livemode ? 'live' : 'test');

/** The mode a portal request asks for: live when the header is absent; a 400 for any other value. */
export function requestedMode(header: string | string[] | undefined): Mode {
  if (header === undefined) return 'live';
  const value = Array.isArray(header) ? header.join(',') : header;
  const mode = value.trim().toLowerCase();
  if (mode === 'live' || mode === 'test') return mode;
  throw new ApiError('validation_failed', 'The Faro-Mode header must be `live` or `test`.', {
    errors: [{ path: 'header.faro-mode', message: 'must be live or test' }],
  });
}
