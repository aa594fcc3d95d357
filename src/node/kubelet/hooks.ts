import type { PodRuntime } from './cri.js';
import { execProbe, httpProbe, resolvePort } from './probes.js';

// Container lifecycle handlers (postStart, preStop): exec in the container, HTTP GET to the
// pod, or sleep — the same actions probes use, with the hook's own error wording.

export interface LifecycleHandler {
  exec?: { command?: string[] };
  httpGet?: { path?: string; port: number | string; host?: string; scheme?: string; httpHeaders?: { name: string; value: string }[] };
  sleep?: { seconds: number };
  tcpSocket?: unknown;
}

/** Runs a handler; resolves to an error message, or undefined on success. */
export async function runHandler(o: {
  runtime: PodRuntime;
  podUid: string;
  container: { name: string; ports?: { name?: string; containerPort: number }[] };
  podIP: string;
  handler: LifecycleHandler;
  timeoutMs: number;
}): Promise<string | undefined> {
  const h = o.handler;
  if (h.exec?.command?.length) {
    try {
      const proc = o.runtime.exec(o.podUid, o.container.name, h.exec.command, { tty: false, stdin: false });
      const r = await execProbe(proc, h.exec.command, o.timeoutMs);
      if (r.result === 'success') return undefined;
      return `Exec lifecycle hook (${JSON.stringify(h.exec.command)}) for Container "${o.container.name}" failed - error: command '${h.exec.command.join(' ')}' exited with non-zero code, message: ${JSON.stringify(r.output)}`;
    } catch (e) {
      return `Exec lifecycle hook (${JSON.stringify(h.exec.command)}) for Container "${o.container.name}" failed - error: ${(e as Error).message}`;
    }
  }
  if (h.httpGet) {
    const port = resolvePort(h.httpGet.port, o.container.ports);
    if (port instanceof Error) return `HTTP lifecycle hook (${h.httpGet.path ?? ''}) for Container "${o.container.name}" failed - error: ${port.message}`;
    const r = await httpProbe({ host: h.httpGet.host || o.podIP, port, path: h.httpGet.path, headers: h.httpGet.httpHeaders, timeoutMs: o.timeoutMs, scheme: h.httpGet.scheme });
    if (r.result === 'success') return undefined;
    return `HTTP lifecycle hook (${h.httpGet.path ?? ''}) for Container "${o.container.name}" failed - error: ${r.output}`;
  }
  if (h.sleep) {
    await new Promise((resolve) => setTimeout(resolve, Math.min(h.sleep!.seconds * 1000, o.timeoutMs)).unref());
    return undefined;
  }
  return undefined;
}
