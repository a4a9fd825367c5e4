/** What every `faro` command shares: the connection options, the one-line errors, the API calls. */
import type { ParseArgsConfig } from 'node:util';

/** An error the user can act on: printed as one line, exit status 1 (2 for bad arguments). */
export class CliError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode = 1) {
    super(message);
    this.exitCode = exitCode;
  }
}

export const CONNECTION_OPTIONS = {
  'api-key': { type: 'string' },
  'base-url': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

export const CONNECTION_HELP = `  --api-key KEY     the API key (default: $FARO_API_KEY)
  --base-url URL    the FARO service (default: $FARO_BASE_URL, else http://localhost:3000)
  -h, --help        this help`;

export interface Connection {
  apiKey: string;
  baseUrl: string;
}

export function connectionFrom(values: { 'api-key'?: string | undefined; 'base-url'?: string | undefined }, env: NodeJS.ProcessEnv): Connection {
  const apiKey = values['api-key'] ?? env.FARO_API_KEY;
  if (!apiKey) throw new CliError('no API key: set FARO_API_KEY or pass --api-key', 2);
  const baseUrl = (values['base-url'] ?? env.FARO_BASE_URL ?? 'http://localhost:3000').replace(/\/+$/, '');
  if (!URL.canParse(baseUrl) || !/^https?:$/.test(new URL(baseUrl).protocol)) throw new CliError(`the base URL "${baseUrl}" is not an http(s) URL`, 2);
  return { apiKey, baseUrl };
}

function causeOf(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error as Error).message;
}

/** fetch, with "server down" as a one-line CliError. */
export async function callApi(connection: Connection, path: string, init: RequestInit = {}): Promise<Response> {
  try {
    return await fetch(`${connection.baseUrl}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${connection.apiKey}`, 'user-agent': 'faro-cli/1', ...init.headers },
    });
  } catch (error) {
    if ((error as Error).name === 'AbortError') throw error;
    throw new CliError(`cannot reach FARO at ${connection.baseUrl} (${causeOf(error)}); is the server running?`);
  }
}

/** A refusal as one line: the status, the problem code and its detail (RFC 9457 bodies). */
export async function refusal(response: Response): Promise<CliError> {
  const text = await response.text().catch(() => '');
  let detail = text.slice(0, 200).replace(/\s+/g, ' ');
  try {
    const problem = JSON.parse(text) as { code?: string; detail?: string };
    if (problem.detail) detail = problem.code ? `${problem.code}: ${problem.detail}` : problem.detail;
  } catch {
    // not a problem body: show the start of it
  }
  return new CliError(`FARO answered ${response.status}${detail ? ` (${detail})` : ''}`);
}
