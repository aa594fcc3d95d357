// Entry point of the `skiff` command (bin/skiff.js calls main). Commands are imported lazily so
// that `skiff up` loads only what it uses: it is on the path to a working kubectl.
import { pathToFileURL } from 'node:url';
import { parseCommandLine, USAGE, UsageError, type ParsedCommand } from './args.js';

// What each command is doing, for error messages: `ERROR: stopping cluster "dev": …`.
const DOING: Record<Exclude<ParsedCommand['command'], 'help'>, string> = {
  up: 'starting',
  stop: 'stopping',
  down: 'deleting',
  status: 'reading the status of',
  kubeconfig: 'printing the kubeconfig of',
  serve: 'serving',
  load: 'loading images for',
  images: 'reading the image store of',
};

async function run(parsed: ParsedCommand): Promise<number> {
  switch (parsed.command) {
    case 'help':
      process.stdout.write(USAGE);
      return 0;
    case 'up':
      return (await import('./commands/up.js')).up(parsed.flags);
    case 'stop':
      return (await import('./commands/stop.js')).stop(parsed.flags);
    case 'down':
      return (await import('./commands/down.js')).down(parsed.flags);
    case 'status':
      return (await import('./commands/status.js')).status(parsed.flags);
    case 'kubeconfig':
      return (await import('./commands/kubeconfig.js')).kubeconfig(parsed.flags);
    case 'serve':
      return (await import('./commands/serve.js')).serve(parsed.flags);
    case 'load':
      return (await import('./commands/load.js')).load(parsed.flags);
    case 'images':
      return (await import('./commands/images.js')).images(parsed.flags);
  }
}

/** Runs one command and exits the process with its code: 0 ok, 1 failed, 2 usage error. */
export async function main(argv: readonly string[]): Promise<void> {
  let parsed: ParsedCommand;
  try {
    parsed = parseCommandLine(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`${err.message}\n\n${USAGE}`);
    process.exit(2);
  }
  let code: number;
  try {
    code = await run(parsed);
  } catch (err) {
    const what = parsed.command === 'help' ? 'running' : `${DOING[parsed.command]} cluster "${parsed.flags.name}"`;
    process.stderr.write(`ERROR: ${what}: ${(err as Error).message}\n`);
    code = 1;
  }
  // Stdout and stderr are synchronous for files and pipes on Linux, so exiting loses no output;
  // exiting explicitly keeps a lingering handle (the API server's, in `serve`) from holding us.
  process.exit(code);
}

// Run directly as the control plane (`node dist/src/cli/main.js serve …`), not only via bin/skiff.js.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main(process.argv.slice(2));
}
