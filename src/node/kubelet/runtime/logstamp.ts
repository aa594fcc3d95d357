// The log stamper: one small process per container that reads the container's stdout (fd 3) and
// stderr (fd 4) and appends each line to the log file in the CRI format
// `<RFC3339Nano> stdout|stderr F|P <line>`, one write(2) per line (O_APPEND, so lines of the two
// streams never mix). Lines longer than 16 KiB are split into partial (P) entries, as containerd does.
//
// busybox ts cannot write this format (its fraction must end the stamp, and it buffers its output
// when writing to a file), and a shell loop forks per line. This is a 60-line C program compiled
// once per cluster with the system's cc: about 100 KiB of private memory per container. Without a
// compiler, a busybox awk pair stamps whole seconds instead.
//
// The same binary started as `logstamp --subreaper <shim…>` marks the shim as the child subreaper
// (the flag survives exec) and execs it: processes a container leaves behind are then reaped by
// the shim rather than by PID 1, which on some machines never reaps them, and their zombies would
// keep the pod cgroup from being removed.
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { execFile, spawnSync } from 'node:child_process';
import { join } from 'node:path';

export const LOGSTAMP_C = `#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum { CHUNK = 16384 };
struct stream { int fd; const char *tag; size_t len; char buf[CHUNK]; };
static char out[CHUNK + 64];

static void emit(const struct stream *s, const char *p, size_t n, char kind) {
  struct timespec ts;
  struct tm tm;
  clock_gettime(CLOCK_REALTIME, &ts);
  gmtime_r(&ts.tv_sec, &tm);
  int h = snprintf(out, 64, "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ %s %c ", tm.tm_year + 1900, tm.tm_mon + 1,
                   tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec, s->tag, kind);
  memcpy(out + h, p, n);
  out[h + n] = '\\n';
  const char *w = out;
  size_t left = (size_t)h + n + 1;
  while (left > 0) {
    ssize_t r = write(1, w, left);
    if (r < 0) { if (errno == EINTR) continue; return; }
    w += r;
    left -= (size_t)r;
  }
}

/* Reads once; returns 0 at end of stream. */
static int pump(struct stream *s) {
  ssize_t r = read(s->fd, s->buf + s->len, CHUNK - s->len);
  if (r < 0) return errno == EINTR || errno == EAGAIN;
  if (r == 0) {
    if (s->len > 0) emit(s, s->buf, s->len, 'F');
    return 0;
  }
  size_t end = s->len + (size_t)r, start = 0;
  for (size_t i = s->len; i < end; i++)
    if (s->buf[i] == '\\n') { emit(s, s->buf + start, i - start, 'F'); start = i + 1; }
  s->len = end - start;
  memmove(s->buf, s->buf + start, s->len);
  if (s->len == CHUNK) { emit(s, s->buf, s->len, 'P'); s->len = 0; }
  return 1;
}

static struct stream streams[2] = {{3, "stdout", 0, {0}}, {4, "stderr", 0, {0}}};

int main(int argc, char **argv) {
  /* "--subreaper prog args": become the reaper of orphaned descendants and exec prog (the shim). */
  if (argc > 2 && strcmp(argv[1], "--subreaper") == 0) {
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    execv(argv[2], argv + 2);
    return 127;
  }
  struct pollfd p[2] = {{3, POLLIN, 0}, {4, POLLIN, 0}};
  int open = 2;
  while (open > 0) {
    if (poll(p, 2, -1) < 0) { if (errno == EINTR) continue; return 1; }
    for (int i = 0; i < 2; i++) {
      if (p[i].fd < 0 || p[i].revents == 0) continue;
      if (!pump(&streams[i])) { close(p[i].fd); p[i].fd = -1; open--; }
    }
  }
  return 0;
}
`;

/** Same interface without a compiler: busybox awk per stream, whole-second stamps. */
export const LOGSTAMP_AWK = `#!/bin/sh
TZ=UTC0
export TZ
stamp() { exec busybox awk -v s="$1" '{ printf "%s.000000000Z %s F %s\\n", strftime("%Y-%m-%dT%H:%M:%S"), s, $0; fflush() }'; }
stamp stdout <&3 4<&- &
stamp stderr <&4 3<&- &
exec 3<&- 4<&-
wait
`;

function stamperFiles(clusterDir: string): { dir: string; bin: string; src: string } {
  const dir = join(clusterDir, 'runtime');
  const hash = createHash('sha256').update(LOGSTAMP_C).digest('hex').slice(0, 12);
  return { dir, bin: join(dir, `logstamp-${hash}`), src: join(dir, `logstamp-${hash}.c`) };
}

/**
 * The stamper's path under <clusterDir>/runtime, built on first use. The file name carries a hash
 * of the source, so a changed stamper never replaces the binary running shims still use.
 */
export function ensureLogStamper(clusterDir: string): { stamper: string; subreaper: string[] } {
  const { dir, bin, src } = stamperFiles(clusterDir);
  if (existsSync(bin)) return { stamper: bin, subreaper: [bin, '--subreaper'] };
  mkdirSync(dir, { recursive: true });
  writeFileSync(src, LOGSTAMP_C);
  const tmp = `${bin}.${process.pid}.tmp`;
  const cc = spawnSync('cc', ['-O2', '-s', '-o', tmp, src], { encoding: 'utf8' });
  if (cc.status === 0) {
    renameSync(tmp, bin);
    return { stamper: bin, subreaper: [bin, '--subreaper'] };
  }
  const awk = join(dir, 'logstamp-awk.sh');
  if (!existsSync(awk)) {
    writeFileSync(`${awk}.tmp`, LOGSTAMP_AWK);
    chmodSync(`${awk}.tmp`, 0o755);
    renameSync(`${awk}.tmp`, awk);
  }
  return { stamper: awk, subreaper: [] };
}

/**
 * Builds the stamper ahead of the first container (`skiff up` runs it beside the control plane's
 * start), without blocking: the first start then finds it built. A failure here is left to
 * ensureLogStamper, which falls back to awk.
 */
export async function prepareLogStamper(clusterDir: string): Promise<void> {
  const { dir, bin, src } = stamperFiles(clusterDir);
  if (existsSync(bin)) return;
  mkdirSync(dir, { recursive: true });
  writeFileSync(src, LOGSTAMP_C);
  const tmp = `${bin}.${process.pid}.tmp`;
  const ok = await new Promise<boolean>((resolve) => execFile('cc', ['-O2', '-s', '-o', tmp, src], (err) => resolve(!err)));
  if (ok) renameSync(tmp, bin);
}
