// How a benchmark program ends when it fails: the error's message (which says what was being
// done) on stderr and exit status 1, so that run-bench.mjs reports the run as failed.
export function runBench(main: () => Promise<void>): void {
  main().catch((e: Error) => {
    console.error(e.message);
    process.exit(1);
  });
}
