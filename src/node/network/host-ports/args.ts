// The command line the publisher and its forwarder share: `--cluster C --home H`.

export function parseClusterArgs(argv: string[], who: string): { cluster: string; home: string } {
  const get = (flag: string): string => {
    const i = argv.indexOf(flag);
    const v = i >= 0 ? argv[i + 1] : undefined;
    if (!v) throw new Error(`${who}: missing ${flag}`);
    return v;
  };
  return { cluster: get('--cluster'), home: get('--home') };
}
