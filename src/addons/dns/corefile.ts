import { DEFAULT_TTL, DEFAULT_ZONE, type PodMode } from './records.js';

// The Corefile of the coredns ConfigMap, read as far as this server has the plugins: the
// server block's port, `kubernetes` (zone, ttl, pods), `forward`, `health`, `ready` and
// `prometheus`. Plugins it does not have (errors, cache, loop, reload, loadbalance…) are
// accepted and ignored, so the ConfigMap stays the one kubeadm writes.

export interface Directive {
  name: string;
  args: string[];
  /** The lines of the directive's `{ … }` block. */
  block: Directive[];
}

export interface ServerBlock {
  /** The block's keys, e.g. `.:53`. */
  keys: string[];
  directives: Directive[];
}

export class CorefileError extends Error {}

/** Words, `{` and `}`, and line ends; `#` starts a comment; quotes keep spaces in a word. */
function tokens(text: string): { word: string; line: number }[] {
  const out: { word: string; line: number }[] = [];
  let line = 1;
  let i = 0;
  const push = (word: string) => out.push({ word, line });
  while (i < text.length) {
    const ch = text[i];
    if (ch === '\n') {
      push('\n');
      line++;
      i++;
    } else if (ch === ' ' || ch === '\t' || ch === '\r') i++;
    else if (ch === '#') while (i < text.length && text[i] !== '\n') i++;
    else if (ch === '{' || ch === '}') {
      push(ch);
      i++;
    } else if (ch === '"') {
      let w = '';
      i++;
      while (i < text.length && text[i] !== '"') {
        if (text[i] === '\\' && text[i + 1] === '"') i++;
        if (text[i] === '\n') line++;
        w += text[i++];
      }
      if (i >= text.length) throw new CorefileError(`line ${line}: unterminated quote`);
      i++;
      push(w);
    } else {
      let w = '';
      while (i < text.length && !/[\s{}#"]/.test(text[i])) w += text[i++];
      push(w);
    }
  }
  return out;
}

export function parseCorefile(text: string): ServerBlock[] {
  const toks = tokens(text);
  let i = 0;
  const skipNewlines = () => {
    while (i < toks.length && toks[i].word === '\n') i++;
  };

  /** Directives up to the closing `}` of the current block. */
  function body(opened: number): Directive[] {
    const ds: Directive[] = [];
    for (;;) {
      skipNewlines();
      if (i >= toks.length) throw new CorefileError(`line ${opened}: unexpected end of file, expected '}'`);
      if (toks[i].word === '}') {
        i++;
        return ds;
      }
      const d: Directive = { name: toks[i++].word, args: [], block: [] };
      while (i < toks.length && toks[i].word !== '\n' && toks[i].word !== '{' && toks[i].word !== '}') d.args.push(toks[i++].word);
      if (i < toks.length && toks[i].word === '{') {
        const line = toks[i++].line;
        d.block = body(line);
      }
      ds.push(d);
    }
  }

  const blocks: ServerBlock[] = [];
  for (;;) {
    skipNewlines();
    if (i >= toks.length) return blocks;
    const keys: string[] = [];
    while (i < toks.length && toks[i].word !== '{') {
      if (toks[i].word === '}') throw new CorefileError(`line ${toks[i].line}: unexpected '}'`);
      if (toks[i].word !== '\n') keys.push(...toks[i].word.split(',').filter(Boolean));
      i++;
    }
    if (i >= toks.length) throw new CorefileError(`server block ${keys.join(' ')}: expected '{'`);
    const line = toks[i++].line;
    blocks.push({ keys, directives: body(line) });
  }
}

export interface ListenAddress {
  host: string;
  port: number;
}

export interface DnsConfig {
  port: number;
  zone: string;
  ttl: number;
  podMode: PodMode;
  /** `forward .` targets: nameserver addresses or a resolv.conf path; empty without forward. */
  forward: string[];
  health?: ListenAddress;
  ready?: ListenAddress;
  prometheus?: ListenAddress;
}

/** `:8080` / `host:port` as the health and ready plugins take them. */
function listenAddress(arg: string | undefined, fallback: number, what: string): ListenAddress {
  if (!arg) return { host: '0.0.0.0', port: fallback };
  const m = /^(.*):(\d+)$/.exec(arg);
  if (!m) throw new CorefileError(`${what}: invalid address ${JSON.stringify(arg)}`);
  return { host: m[1].replace(/^\[|\]$/g, '') || '0.0.0.0', port: Number(m[2]) };
}

function serverPort(keys: string[]): number {
  for (const k of keys) {
    const m = /:(\d+)$/.exec(k.replace(/^dns:\/\//, ''));
    if (m) return Number(m[1]);
  }
  return 53;
}

const PLAIN_ZONE = /^[a-z0-9.-]+$/i;

/** The configuration of the server block that serves the root zone (kubeadm's `.:53`). */
export function dnsConfigOf(blocks: ServerBlock[]): DnsConfig {
  const block = blocks.find((b) => b.keys.some((k) => /^(?:dns:\/\/)?\.(?::\d+)?$/.test(k))) ?? blocks[0];
  if (!block) throw new CorefileError('no server block');
  const cfg: DnsConfig = { port: serverPort(block.keys), zone: DEFAULT_ZONE, ttl: DEFAULT_TTL, podMode: 'disabled', forward: [] };
  for (const d of block.directives) {
    if (d.name === 'kubernetes') {
      // Reverse zones are answered from the Service and Pod addresses whatever is listed.
      const zone = d.args.find((z) => PLAIN_ZONE.test(z) && !/(?:^|\.)(?:in-addr|ip6)\.arpa\.?$/i.test(z));
      if (zone) cfg.zone = zone.toLowerCase().replace(/\.$/, '');
      for (const o of d.block) {
        if (o.name === 'ttl') {
          const ttl = Number(o.args[0]);
          // The plugin's own bounds: 0 to 3600 seconds.
          if (!Number.isInteger(ttl) || ttl < 0 || ttl > 3600) throw new CorefileError(`kubernetes: ttl must be in range [0, 3600]: ${o.args[0]}`);
          cfg.ttl = ttl;
        } else if (o.name === 'pods') {
          const mode = o.args[0];
          if (mode !== 'disabled' && mode !== 'insecure' && mode !== 'verified') throw new CorefileError(`kubernetes: wrong value for pods: ${mode}, must be one of: disabled, verified, insecure`);
          cfg.podMode = mode;
        }
      }
    } else if (d.name === 'forward') {
      if (d.args[0] === '.') cfg.forward = d.args.slice(1);
    } else if (d.name === 'health') {
      cfg.health = listenAddress(d.args[0], 8080, 'health');
    } else if (d.name === 'ready') {
      cfg.ready = listenAddress(d.args[0], 8181, 'ready');
    } else if (d.name === 'prometheus') {
      cfg.prometheus = listenAddress(d.args[0], 9153, 'prometheus');
    }
  }
  return cfg;
}
