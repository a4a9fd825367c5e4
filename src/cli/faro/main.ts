/**
 * The `faro` command line (bin/faro.js starts it): `faro listen` and `faro trigger`, the local loop
 * of an integrator. Every failure is one line on stderr and a non-zero exit: 2 for bad
 * arguments, 1 for the rest (bad key, server down, refusals).
 */
import { LISTEN_HELP, listen } from './listen.ts';
import { TRIGGER_HELP, trigger } from './trigger.ts';
import { CliError } from './common.ts';

const HELP = `Usage: faro COMMAND [options]

Commands:
  listen    forward your agency's events, signed, to a local URL (or print them)
  trigger   make a test event happen in your test-mode sandbox

Run \`faro COMMAND --help\` for a command's options. Environment: FARO_API_KEY, FARO_BASE_URL
(default http://localhost:3000).

${LISTEN_HELP.split('\n')[0]}
${TRIGGER_HELP.split('\n')[0]}`;

async function run(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    console.log(HELP);
    return 0;
  }
  const stop = new AbortController();
  // The first Ctrl-C stops cleanly; a second one is the default (immediate) exit.
  process.once('SIGINT', () => stop.abort());
  process.once('SIGTERM', () => stop.abort());
  switch (command) {
    case 'listen':
      return listen(rest, process.env, stop.signal);
    case 'trigger':
      return trigger(rest, process.env);
    default:
      throw new CliError(`unknown command "${command}"; run \`faro --help\``, 2);
  }
}

function oneLine(error: unknown): { message: string; code: number } {
  if (error instanceof CliError) return { message: error.message, code: error.exitCode };
  // node:util parseArgs: an unknown option, a missing value…
  const code = (error as { code?: string }).code ?? '';
  if (code.startsWith('ERR_PARSE_ARGS')) return { message: `${(error as Error).message.split('\n')[0]} (see --help)`, code: 2 };
  return { message: `unexpected error: ${(error as Error).message ?? String(error)}`, code: 1 };
}

try {
  process.exitCode = await run(process.argv.slice(2));
} catch (error) {
  const { message, code } = oneLine(error);
  console.error(`faro: ${message}`);
  process.exitCode = code;
}
// Open keep-alive sockets must not keep a finished command waiting.
process.exit();
