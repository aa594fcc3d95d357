// The runtime's helper: one small C program, compiled by the build (scripts/build-helper.ts) or
// else once per cluster with the system's cc (scripts/install-deps.sh installs gcc), statically
// linked so that it also runs inside a container's root. It has four jobs, chosen by its
// first argument:
//
//   skiff-shim BUNDLE LOG OOM LOWER STATE ID
//                         a container's shim (shim.ts), whose parts are forks of its own rather
//                         than programs run anew:
//                         - the stamper reads the container's stdout and stderr (pipes) and
//                           appends each line to the log file LOG in the CRI format
//                           `<RFC3339Nano> stdout|stderr F|P <line>`, one write(2) per line
//                           (O_APPEND, so lines of the two streams never mix). Lines longer than
//                           16 KiB are split into partial (P) entries, as containerd does. About
//                           100 KiB of private memory per container; busybox ts cannot write this
//                           format and a shell loop forks per line.
//                         - the supervisor enters a mount namespace of its own (private
//                           propagation) and mounts the container's root there: an overlay of
//                           LOWER with BUNDLE/upper, or with an upper layer on a tmpfs at
//                           BUNDLE/scratch where BUNDLE's filesystem cannot hold one; what failed
//                           goes to BUNDLE/runc.log. Then it does what containerd's shim does
//                           around `runc run -d`: becomes the child subreaper, runs runc, and once
//                           runc has started the container (which then is re-parented here;
//                           with a file BUNDLE/hold, while the pod's network is being attached,
//                           `runc create` at once and, once the hold is removed, runc start's
//                           own step (its exec fifo read), unless BUNDLE/abort was written: then
//                           it is never started)
//                           writes its pid to BUNDLE/pid, waits for it and exits with its status
//                           (128 + N for a signal N). A failed runc leaves the pid unwritten and
//                           exits 125. Other orphans are reaped on the way, so none stays a zombie
//                           holding a cgroup. A runc left running would cost ~10 MB per
//                           container; this costs ~100 KiB.
//                         - the shim itself then reads the OOM kill counter (file OOM), deletes
//                           the container from runc's state STATE, waits for the stamper to
//                           drain the pipes and records the exit in BUNDLE/exit.
//                         One exec per container where a shell script ran ten (sh, mkfifo,
//                         unshare, mount, date, the helper twice…) on every start.
//   --sandbox NETNS LO IPC UTS HOSTNAME [PATH VALUE]…
//                         a pod sandbox's namespaces: joins the network namespace NETNS (with a
//                         leading `+`: creates it and pins it there, as `ip netns add` does, and
//                         says "pinned" on stdout as soon as it is, so that the CNI plugin can
//                         attach it while the rest is made) and, with LO `lo`, brings its loopback up; makes new UTS and IPC namespaces and
//                         pins them by bind mounts on the files UTS and IPC (IPC `-`: the host's,
//                         for hostIPC), sets the hostname and writes each VALUE to
//                         /proc/sys/PATH. What `ip link set lo up` (which remounts /sys to enter
//                         a namespace), nsenter, unshare, a shell and hostname did, in one process.
//   --launcher            the node agent's launcher (src/node/launcher.ts): forks and execs the
//                         programs the agent asks for over its stdin, so that the agent, a
//                         process of 100+ MB, never forks itself: Node forks its whole address
//                         space (page tables) for each child, ~3 ms of its main thread at that
//                         size, three times per pod (sandbox, CNI plugin, shim). A request is a
//                         u32 length, then NUL-ended fields: id, flags (`d` a session of its own
//                         with nothing captured, `i` stdin from the rest of the request, `o`/`e`
//                         stdout/stderr captured), cwd, argc, argv (argv[0] a path), envc, env.
//                         Replies are a 13-byte header (kind, id, a number, length; u32/i32
//                         little-endian) and data: `S` started (pid), `E` not started (errno),
//                         `O` output (1 stdout, 2 stderr), `X` ended and its output closed (exit
//                         code, or minus the signal). It ends when its stdin does; what it
//                         started lives on.
//   run as `pause`        the pod's pause process for shareProcessNamespace pods, as
//                         kubernetes/build/pause/linux/pause.c: PID 1 of the shared PID namespace,
//                         reaps orphans, ends on SIGINT/SIGTERM.
import { createHash } from 'node:crypto';
import { execFile, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const HELPER_C = `#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
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

static int stamp(void) {
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

static int status_code(int st) {
  if (WIFEXITED(st)) return WEXITSTATUS(st);
  if (WIFSIGNALED(st)) return 128 + WTERMSIG(st);
  return 255;
}

/* Runs a runc command to its end; 0 when it succeeded. */
static int run_runc(char **cmd) {
  pid_t r = fork();
  if (r < 0) return -1;
  if (r == 0) {
    /* A shell starts background commands with SIGINT and SIGQUIT ignored, and runc's Go init
       would hand that on to the container, which under containerd starts with every signal at
       its default. */
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    for (int s = 1; s < NSIG; s++) signal(s, SIG_DFL);
    execvp(cmd[0], cmd);
    _exit(127);
  }
  int st = 0;
  while (waitpid(r, &st, 0) < 0) if (errno != EINTR) return -1;
  return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

/* Waits, up to HOLD_LIMIT seconds, for the file HOLD to go (the runtime removes it once the
   pod's network is attached); 0 then, unless ABORT was written before (the attachment failed). */
enum { HOLD_LIMIT = 60 };
static int released(const char *dir, const char *hold, const char *abort_file) {
  int in = inotify_init1(IN_CLOEXEC);
  if (in < 0 || inotify_add_watch(in, dir, IN_DELETE | IN_MOVED_FROM) < 0) return -1;
  char events[4096];
  struct pollfd p = {in, POLLIN, 0};
  time_t limit = time(NULL) + HOLD_LIMIT;
  while (access(hold, F_OK) == 0) {
    time_t left = limit - time(NULL);
    if (left <= 0) { close(in); return -1; }
    int r = poll(&p, 1, (int)left * 1000);
    if (r < 0 && errno != EINTR) { close(in); return -1; }
    if (r > 0 && read(in, events, sizeof events) < 0 && errno != EINTR) { close(in); return -1; }
  }
  close(in);
  return access(abort_file, F_OK) == 0 ? -1 : 0;
}

/* Appends why the root could not be made, or the container started, to the bundle's runc.log, where the runtime looks. */
static int log_failure(const char *bundle, const char *what, const char *path, int err) {
  char log[4096];
  if ((size_t)snprintf(log, sizeof log, "%s/runc.log", bundle) >= sizeof log) return -1;
  FILE *f = fopen(log, "a");
  if (!f) return -1;
  fprintf(f, "%s %s: %s\\n", what, path, strerror(err));
  fclose(f);
  return -1;
}

/* What runc start does to a created container (libcontainer's exec()), without a second runc
   on the pod's critical path (~7 ms of its start-up on a 2-core machine): the container's init
   waits in its open of STATE/ID/exec.fifo for a reader; once it has written its byte, it goes on
   to exec the process, and the fifo is removed, which is how runc tells a started container from
   a created one. The init is this subreaper's child by now; one that ended meanwhile fails it. */
static int start_created(const char *bundle, const char *state, const char *id, pid_t init) {
  char fifo[4096];
  if ((size_t)snprintf(fifo, sizeof fifo, "%s/%s/exec.fifo", state, id) >= sizeof fifo) return log_failure(bundle, "naming", "exec.fifo", ENAMETOOLONG);
  int fd = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return log_failure(bundle, "starting the container: opening", fifo, errno);
  struct pollfd p = {fd, POLLIN, 0};
  for (;;) {
    int r = poll(&p, 1, 100);
    if (r < 0 && errno != EINTR) break;
    if (r > 0) {
      char b[8];
      ssize_t n = read(fd, b, sizeof b);
      if (n > 0) {
        close(fd);
        return unlink(fifo) == 0 ? 0 : log_failure(bundle, "starting the container: removing", fifo, errno);
      }
      if (n == 0 || (errno != EAGAIN && errno != EINTR)) break;
    }
    siginfo_t si;
    memset(&si, 0, sizeof si);
    if (kill(init, 0) != 0 || (waitid(P_PID, (id_t)init, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid == init)) break;
  }
  close(fd);
  return log_failure(bundle, "starting the container: its process ended before it was started, at", fifo, ESRCH);
}

static pid_t read_pid(const char *pidfile) {
  char buf[32] = {0};
  int fd = open(pidfile, O_RDONLY);
  if (fd < 0) return 0;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  return n > 0 ? (pid_t)atol(buf) : 0;
}

/* CREATE (runc run -d, or with HOLDING runc create, then the wait for the hold to go and the
   start); then the pid is published and the container waited for. */
static int supervise(const char *outfile, const char *pidfile, char **create, int holding, const char *state, const char *id, const char *dir, const char *hold, const char *abort_file) {
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  if (run_runc(create) != 0) return 125;
  pid_t c = read_pid(pidfile);
  if (c <= 0) return 125;
  if (holding && (released(dir, hold, abort_file) != 0 || start_created(dir, state, id, c) != 0)) return 125;
  int st = 0;
  char tmp[4096];
  snprintf(tmp, sizeof tmp, "%s.tmp", outfile);
  FILE *f = fopen(tmp, "w");
  if (!f) return 125;
  fprintf(f, "%ld\\n", (long)c);
  if (fclose(f) != 0 || rename(tmp, outfile) != 0) return 125;
  int code = 255;
  for (;;) {
    pid_t p = waitpid(-1, &st, 0);
    if (p < 0) { if (errno == EINTR) continue; break; }
    if (p == c) code = status_code(st);
  }
  return code;
}

static int overlay(const char *target, const char *lower, const char *layers) {
  char opts[16384];
  if ((size_t)snprintf(opts, sizeof opts, "lowerdir=%s,upperdir=%s/upper,workdir=%s/work", lower, layers, layers) >= sizeof opts) {
    errno = ENAMETOOLONG;
    return -1;
  }
  return mount("skiff-root", target, "overlay", 0, opts);
}

static int mkdir_at(const char *dir, const char *name) {
  char path[4096];
  if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, name) >= sizeof path) {
    errno = ENAMETOOLONG;
    return -1;
  }
  return mkdir(path, 0755) == 0 || errno == EEXIST ? 0 : -1;
}

static int mount_root(const char *bundle, const char *lower) {
  char rootfs[4096], scratch[4096];
  if ((size_t)snprintf(rootfs, sizeof rootfs, "%s/rootfs", bundle) >= sizeof rootfs ||
      (size_t)snprintf(scratch, sizeof scratch, "%s/scratch", bundle) >= sizeof scratch)
    return log_failure(bundle, "naming the root of", bundle, ENAMETOOLONG);
  if (unshare(CLONE_NEWNS) != 0) return log_failure(bundle, "entering a mount namespace for", rootfs, errno);
  if (mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) return log_failure(bundle, "making mounts private for", rootfs, errno);
  if (overlay(rootfs, lower, bundle) == 0) return 0;
  if (mkdir_at(bundle, "scratch") != 0) return log_failure(bundle, "creating", scratch, errno);
  if (mount("skiff-scratch", scratch, "tmpfs", 0, "mode=0755") != 0) return log_failure(bundle, "mounting a tmpfs on", scratch, errno);
  if (mkdir_at(scratch, "upper") != 0 || mkdir_at(scratch, "work") != 0) return log_failure(bundle, "creating the upper layer in", scratch, errno);
  if (overlay(rootfs, lower, scratch) != 0) return log_failure(bundle, "mounting the overlay root on", rootfs, errno);
  return 0;
}

/* The oom_kill count of a cgroup's memory.events (v2) or memory.oom_control (v1); 0 unreadable. */
static long oom_kills(const char *file) {
  FILE *f = fopen(file, "r");
  if (!f) return 0;
  char key[64];
  long v, n = 0;
  while (fscanf(f, "%63s %ld", key, &v) == 2)
    if (strcmp(key, "oom_kill") == 0) n = v;
  fclose(f);
  return n;
}

static int wait_for(pid_t p) {
  int st = 0;
  while (waitpid(p, &st, 0) < 0)
    if (errno != EINTR) return 255;
  return status_code(st);
}

static void onto(int fd, int target) {
  if (fd != target) {
    dup2(fd, target);
    close(fd);
  }
}

static int shim(char **a) {
  const char *d = a[0], *log = a[1], *oom = a[2], *lower = a[3], *state = a[4], *id = a[5];
  char pid[4096], runc_pid[4096], runc_log[4096], exit_file[4096], tmp[4096], hold[4096], abort_file[4096];
  if ((size_t)snprintf(pid, sizeof pid, "%s/pid", d) >= sizeof pid || (size_t)snprintf(runc_pid, sizeof runc_pid, "%s/runc.pid", d) >= sizeof runc_pid ||
      (size_t)snprintf(hold, sizeof hold, "%s/hold", d) >= sizeof hold || (size_t)snprintf(abort_file, sizeof abort_file, "%s/abort", d) >= sizeof abort_file ||
      (size_t)snprintf(runc_log, sizeof runc_log, "%s/runc.log", d) >= sizeof runc_log || (size_t)snprintf(exit_file, sizeof exit_file, "%s/exit", d) >= sizeof exit_file ||
      (size_t)snprintf(tmp, sizeof tmp, "%s/exit.tmp", d) >= sizeof tmp)
    return 1;
  long before = oom_kills(oom);
  int out[2], err[2];
  if (pipe(out) != 0 || pipe(err) != 0) return 1;
  pid_t stamper = fork();
  if (stamper < 0) return 1;
  if (stamper == 0) {
    int l = open(log, O_WRONLY | O_APPEND | O_CREAT, 0640);
    if (l < 0) _exit(1);
    close(out[1]);
    close(err[1]);
    onto(out[0], 3);
    onto(err[0], 4);
    onto(l, 1);
    _exit(stamp());
  }
  close(out[0]);
  close(err[0]);
  pid_t sup = fork();
  if (sup < 0) return 1;
  if (sup == 0) {
    int nul = open("/dev/null", O_RDONLY);
    if (nul < 0) _exit(125);
    onto(nul, 0);
    dup2(out[1], 1);
    dup2(err[1], 2);
    close(out[1]);
    close(err[1]);
    if (mount_root(d, lower) != 0) _exit(125);
    char *run[] = {"runc", "--root", (char *)state, "--log", runc_log, "--log-format", "json", "run", "-d", "--pid-file", runc_pid, "--bundle", (char *)d, (char *)id, NULL};
    char *create[] = {"runc", "--root", (char *)state, "--log", runc_log, "--log-format", "json", "create", "--pid-file", runc_pid, "--bundle", (char *)d, (char *)id, NULL};
    /* A hold means the pod's network is still being attached: the container is created now
       and started once the runtime lets go. */
    int holding = access(hold, F_OK) == 0;
    _exit(supervise(pid, runc_pid, holding ? create : run, holding, state, id, d, hold, abort_file));
  }
  int code = wait_for(sup);
  long after = oom_kills(oom);
  /* Read before runc delete removes the cgroup; delete also ends what is left of a container
     that shares the pod's PID namespace (its own PID namespace ended with its init). */
  pid_t del = fork();
  if (del == 0) {
    int nul = open("/dev/null", O_RDWR);
    if (nul >= 0) {
      dup2(nul, 0);
      dup2(nul, 1);
      dup2(nul, 2);
    }
    close(out[1]);
    close(err[1]);
    execlp("runc", "runc", "--root", state, "delete", "-f", id, (char *)NULL);
    _exit(127);
  }
  if (del > 0) wait_for(del);
  /* The stamper drains what is left once the last writer is gone: the log is complete before
     the exit is recorded. */
  close(out[1]);
  close(err[1]);
  wait_for(stamper);
  struct timespec ts;
  struct tm tm;
  clock_gettime(CLOCK_REALTIME, &ts);
  gmtime_r(&ts.tv_sec, &tm);
  char line[128];
  int n = snprintf(line, sizeof line, "%d %04d-%02d-%02dT%02d:%02d:%02d.%09ldZ %ld %ld\\n", code, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                   tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec, before, after);
  int f = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (f < 0) return 1;
  int ok = write(f, line, (size_t)n) == n;
  if (close(f) != 0 || !ok || rename(tmp, exit_file) != 0) return 1;
  return 0;
}

static int sandbox_failed(const char *what, const char *path) {
  fprintf(stderr, "%s %s: %s\\n", what, path, strerror(errno));
  return 1;
}

/* Sets IFF_UP on lo in this process's network namespace, as ip link set lo up does. */
static int loopback_up(void) {
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) return -1;
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
  int r = ioctl(s, SIOCGIFFLAGS, &ifr);
  if (r == 0 && !(ifr.ifr_flags & IFF_UP)) {
    ifr.ifr_flags |= IFF_UP;
    r = ioctl(s, SIOCSIFFLAGS, &ifr);
  }
  int err = errno;
  close(s);
  errno = err;
  return r;
}

/*
 * Creates a network namespace and pins it on PATH (a new file under /var/run/netns), as
 * ip netns add does: this process is then in it. Once pinned, "pinned" goes to stdout, which
 * is closed, so that the caller attaches the namespace while the rest of the sandbox is made.
 */
static int create_netns(const char *path) {
  int fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
  if (fd < 0) return sandbox_failed("creating the network namespace file", path);
  close(fd);
  if (unshare(CLONE_NEWNET) != 0 || mount("/proc/self/ns/net", path, NULL, MS_BIND, NULL) != 0) {
    int err = errno;
    unlink(path);
    errno = err;
    return sandbox_failed("creating the network namespace", path);
  }
  if (write(1, "pinned\\n", 7) != 7 || close(1) != 0) return sandbox_failed("reporting the network namespace", path);
  return 0;
}

static int sandbox(int argc, char **argv) {
  const char *netns = argv[0], *lo = argv[1], *ipc = argv[2], *uts = argv[3], *host = argv[4];
  if (netns[0] == '+') {
    if (create_netns(netns + 1) != 0) return 1;
  } else {
    int fd = open(netns, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || setns(fd, CLONE_NEWNET) != 0) return sandbox_failed("joining the network namespace", netns);
    close(fd);
  }
  if (strcmp(lo, "lo") == 0 && loopback_up() != 0) return sandbox_failed("bringing up lo in", netns);
  int own_ipc = strcmp(ipc, "-") != 0;
  if (unshare(CLONE_NEWUTS | (own_ipc ? CLONE_NEWIPC : 0)) != 0) return sandbox_failed("creating the UTS and IPC namespaces in", netns);
  if (own_ipc && mount("/proc/self/ns/ipc", ipc, NULL, MS_BIND, NULL) != 0) return sandbox_failed("pinning the IPC namespace on", ipc);
  if (mount("/proc/self/ns/uts", uts, NULL, MS_BIND, NULL) != 0) return sandbox_failed("pinning the UTS namespace on", uts);
  if (sethostname(host, strlen(host)) != 0) return sandbox_failed("setting the hostname", host);
  for (int i = 5; i + 1 < argc; i += 2) {
    char path[4096], value[4096];
    if ((size_t)snprintf(path, sizeof path, "/proc/sys/%s", argv[i]) >= sizeof path) { errno = ENAMETOOLONG; return sandbox_failed("setting sysctl", argv[i]); }
    int n = snprintf(value, sizeof value, "%s\\n", argv[i + 1]);
    if ((size_t)n >= sizeof value) { errno = E2BIG; return sandbox_failed("setting sysctl", argv[i]); }
    int s = open(path, O_WRONLY | O_CLOEXEC);
    if (s < 0) return sandbox_failed("setting sysctl", argv[i]);
    ssize_t w = write(s, value, (size_t)n);
    int err = errno;
    close(s);
    errno = err;
    if (w != n) return sandbox_failed("setting sysctl", argv[i]);
  }
  return 0;
}

/* The launcher: see the comment of helper.ts. */
struct job {
  unsigned id;
  pid_t pid;
  int in, out, err, status, reaped;
  char *input;
  size_t input_len, input_off;
  struct job *next;
};
static struct job *jobs;
static int chld[2];

static void on_chld(int signo) {
  (void)signo;
  int e = errno;
  char c = 0;
  if (write(chld[1], &c, 1) < 0) {}
  errno = e;
}

static void put_u32(unsigned char *p, unsigned v) {
  for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i));
}

static void reply(char kind, unsigned id, int n, const char *data, unsigned len) {
  unsigned char h[13];
  h[0] = (unsigned char)kind;
  put_u32(h + 1, id);
  put_u32(h + 5, (unsigned)n);
  put_u32(h + 9, len);
  /* The agent is gone (EPIPE): nothing left to serve. */
  const unsigned char *parts[2] = {h, (const unsigned char *)data};
  size_t sizes[2] = {sizeof h, len};
  for (int i = 0; i < 2; i++) {
    size_t off = 0;
    while (off < sizes[i]) {
      ssize_t w = write(1, parts[i] + off, sizes[i] - off);
      if (w < 0) { if (errno == EINTR) continue; _exit(0); }
      off += (size_t)w;
    }
  }
}

static char *field(char **p, char *end) {
  char *z = memchr(*p, 0, (size_t)(end - *p));
  if (!z) return NULL;
  char *f = *p;
  *p = z + 1;
  return f;
}

/* Fills v with n fields; -1 when the request ends first. */
static int fields(char **p, char *end, char **v, long n) {
  for (long i = 0; i < n; i++)
    if (!(v[i] = field(p, end))) return -1;
  v[n] = NULL;
  return 0;
}

static void child(const char *flags, const char *cwd, char **argv, char **env, int in, int out, int err, int report) {
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  for (int s = 1; s < NSIG; s++) signal(s, SIG_DFL);
  if (strchr(flags, 'd')) setsid();
  int nul = open("/dev/null", O_RDWR);
  if (nul >= 0 && dup2(in >= 0 ? in : nul, 0) >= 0 && dup2(out >= 0 ? out : nul, 1) >= 0 && dup2(err >= 0 ? err : nul, 2) >= 0 && (!cwd[0] || chdir(cwd) == 0))
    execve(argv[0], argv, env);
  int e = errno;
  if (write(report, &e, sizeof e) < 0) {}
  _exit(127);
}

static void launch(char *p, char *end) {
  char *ids = field(&p, end), *flags = field(&p, end), *cwd = field(&p, end), *argcs = field(&p, end);
  if (!argcs) return;
  unsigned id = (unsigned)strtoul(ids, NULL, 10);
  long argc = strtol(argcs, NULL, 10);
  char **argv = argc > 0 && argc < 65536 ? calloc((size_t)argc + 1, sizeof *argv) : NULL;
  char **env = NULL;
  char *envcs;
  long envc = -1;
  if (argv && fields(&p, end, argv, argc) == 0 && (envcs = field(&p, end))) envc = strtol(envcs, NULL, 10);
  if (envc >= 0 && envc < 65536 && (env = calloc((size_t)envc + 1, sizeof *env)) && fields(&p, end, env, envc) != 0) envc = -1;
  if (!argv || !env || envc < 0) {
    free(argv);
    free(env);
    reply('E', id, EINVAL, NULL, 0);
    return;
  }
  int in[2] = {-1, -1}, out[2] = {-1, -1}, err[2] = {-1, -1}, report[2] = {-1, -1};
  int detached = strchr(flags, 'd') != NULL;
  int ok = pipe2(report, O_CLOEXEC) == 0;
  if (ok && !detached && strchr(flags, 'i')) ok = pipe2(in, O_CLOEXEC) == 0;
  if (ok && !detached && strchr(flags, 'o')) ok = pipe2(out, O_CLOEXEC) == 0;
  if (ok && !detached && strchr(flags, 'e')) ok = pipe2(err, O_CLOEXEC) == 0;
  pid_t pid = ok ? fork() : -1;
  if (pid == 0) child(flags, cwd, argv, env, in[0], out[1], err[1], report[1]);
  int e = errno;
  free(argv);
  free(env);
  int ends[] = {in[0], out[1], err[1], report[1]};
  for (int i = 0; i < 4; i++) if (ends[i] >= 0) close(ends[i]);
  if (pid > 0) {
    /* Closed by the exec (0 bytes), or the errno of what failed before it. */
    ssize_t r;
    while ((r = read(report[0], &e, sizeof e)) < 0 && errno == EINTR) {}
    if (r == (ssize_t)sizeof e) {
      while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {}
      pid = -1;
    }
  }
  if (report[0] >= 0) close(report[0]);
  struct job *j = pid > 0 && !detached ? calloc(1, sizeof *j) : NULL;
  if (pid > 0 && !detached && !j) {
    kill(pid, SIGKILL);
    e = ENOMEM;
    pid = -1;
  }
  if (pid < 0) {
    int rest[] = {in[1], out[0], err[0]};
    for (int i = 0; i < 3; i++) if (rest[i] >= 0) close(rest[i]);
    reply('E', id, e, NULL, 0);
    return;
  }
  reply('S', id, pid, NULL, 0);
  if (!j) return; /* Detached: reaped when it ends, not followed. */
  *j = (struct job){.id = id, .pid = pid, .in = in[1], .out = out[0], .err = err[0]};
  if (j->in >= 0) {
    j->input_len = (size_t)(end - p);
    j->input = malloc(j->input_len ? j->input_len : 1);
    if (j->input) memcpy(j->input, p, j->input_len);
    fcntl(j->in, F_SETFL, O_NONBLOCK);
  }
  j->next = jobs;
  jobs = j;
}

static void reap(void) {
  int st;
  pid_t p;
  while ((p = waitpid(-1, &st, WNOHANG)) > 0)
    for (struct job *j = jobs; j; j = j->next)
      if (j->pid == p) {
        j->reaped = 1;
        j->status = WIFSIGNALED(st) ? -WTERMSIG(st) : WEXITSTATUS(st);
      }
}

static void drop_input(struct job *j) {
  close(j->in);
  j->in = -1;
  free(j->input);
  j->input = NULL;
}

static void feed(struct job *j) {
  if (!j->input) { drop_input(j); return; }
  ssize_t w = write(j->in, j->input + j->input_off, j->input_len - j->input_off);
  if (w > 0) j->input_off += (size_t)w;
  /* Done, or the program closed its stdin (EPIPE): its exit tells the rest. */
  if (j->input_off == j->input_len || (w < 0 && errno != EAGAIN && errno != EINTR)) drop_input(j);
}

static void drain(struct job *j, int *fd, int stream) {
  static char buf[65536];
  ssize_t r = read(*fd, buf, sizeof buf);
  if (r > 0) reply('O', j->id, stream, buf, (unsigned)r);
  else if (r == 0 || (errno != EINTR && errno != EAGAIN)) {
    close(*fd);
    *fd = -1;
  }
}

static int serve_launcher(void) {
  signal(SIGPIPE, SIG_IGN);
  if (pipe2(chld, O_CLOEXEC | O_NONBLOCK) != 0) return 1;
  struct sigaction sa = {.sa_handler = on_chld, .sa_flags = SA_RESTART | SA_NOCLDSTOP};
  sigaction(SIGCHLD, &sa, NULL);
  size_t cap = 65536, len = 0;
  char *req = malloc(cap);
  if (!req) return 1;
  for (;;) {
    size_t n = 2;
    for (struct job *j = jobs; j; j = j->next) n += 3;
    struct pollfd *p = calloc(n, sizeof *p);
    if (!p) return 1;
    p[0] = (struct pollfd){0, POLLIN, 0};
    p[1] = (struct pollfd){chld[0], POLLIN, 0};
    size_t k = 2;
    for (struct job *j = jobs; j; j = j->next) {
      p[k++] = (struct pollfd){j->in, POLLOUT, 0};
      p[k++] = (struct pollfd){j->out, POLLIN, 0};
      p[k++] = (struct pollfd){j->err, POLLIN, 0};
    }
    if (poll(p, n, -1) < 0 && errno != EINTR) return 1;
    k = 2;
    for (struct job *j = jobs; j; j = j->next, k += 3) {
      if (j->in >= 0 && p[k].revents) feed(j);
      if (j->out >= 0 && p[k + 1].revents) drain(j, &j->out, 1);
      if (j->err >= 0 && p[k + 2].revents) drain(j, &j->err, 2);
    }
    int requests = p[0].revents != 0;
    if (p[1].revents) {
      char c[64];
      while (read(chld[0], c, sizeof c) > 0) {}
    }
    free(p);
    reap();
    for (struct job **at = &jobs; *at;) {
      struct job *j = *at;
      if (j->reaped && j->out < 0 && j->err < 0) {
        reply('X', j->id, j->status, NULL, 0);
        if (j->in >= 0) drop_input(j);
        *at = j->next;
        free(j);
      } else {
        at = &j->next;
      }
    }
    if (!requests) continue;
    if (cap - len < 65536) {
      char *bigger = realloc(req, cap * 2);
      if (!bigger) return 1;
      req = bigger;
      cap *= 2;
    }
    ssize_t r = read(0, req + len, cap - len);
    if (r == 0) return 0; /* The agent is gone. */
    if (r < 0) { if (errno == EINTR) continue; return 1; }
    len += (size_t)r;
    size_t off = 0;
    while (len - off >= 4) {
      const unsigned char *h = (const unsigned char *)req + off;
      size_t body = (size_t)h[0] | (size_t)h[1] << 8 | (size_t)h[2] << 16 | (size_t)h[3] << 24;
      if (len - off - 4 < body) {
        if (body + 4 > cap) {
          char *bigger = realloc(req, body + 4 + 65536);
          if (!bigger) return 1;
          req = bigger;
          cap = body + 4 + 65536;
        }
        break;
      }
      launch(req + off + 4, req + off + 4 + body);
      off += 4 + body;
    }
    memmove(req, req + off, len - off);
    len -= off;
  }
}

static void sigdown(int signo) {
  psignal(signo, "Shutting down, got signal");
  exit(0);
}

static void sigreap(int signo) {
  (void)signo;
  while (waitpid(-1, NULL, WNOHANG) > 0) {}
}

static int pause_forever(void) {
  struct sigaction down = {.sa_handler = sigdown}, reap = {.sa_handler = sigreap, .sa_flags = SA_NOCLDSTOP};
  sigaction(SIGINT, &down, NULL);
  sigaction(SIGTERM, &down, NULL);
  sigaction(SIGCHLD, &reap, NULL);
  for (;;) pause();
  return 42;
}

int main(int argc, char **argv) {
  const char *base = strrchr(argv[0], '/');
  if (strcmp(base ? base + 1 : argv[0], "pause") == 0) return pause_forever();
  if (argc == 2 && strcmp(argv[1], "--launcher") == 0) return serve_launcher();
  if (argc > 6 && strcmp(argv[1], "--sandbox") == 0) return sandbox(argc - 2, argv + 2);
  if (argc == 8 && strcmp(argv[1], "skiff-shim") == 0) return shim(argv + 2);
  fprintf(stderr, "usage: %s skiff-shim BUNDLE LOG OOM LOWER STATE ID | --sandbox NETNS LO IPC UTS HOSTNAME [PATH VALUE]... | --launcher\\n", argv[0]);
  return 2;
}
`;

const HELPER_HASH = createHash('sha256').update(HELPER_C).digest('hex').slice(0, 12);

function helperFiles(clusterDir: string): { dir: string; bin: string; src: string } {
  const dir = join(clusterDir, 'runtime');
  return { dir, bin: join(dir, `helper-${HELPER_HASH}`), src: join(dir, `helper-${HELPER_HASH}.c`) };
}

/** Where the build (scripts/build-helper.ts) puts the helper in a dist directory. */
export function prebuiltHelperPath(dist: string): string {
  return join(dist, `helper-${HELPER_HASH}`);
}

/** dist/ of this installation: this module is dist/{src,programs}/node/kubelet/runtime/helper.js. */
function prebuiltHelper(): string | undefined {
  const bin = prebuiltHelperPath(fileURLToPath(new URL('../../../../', import.meta.url)));
  return existsSync(bin) ? bin : undefined;
}

const CC_ARGS = (out: string, src: string) => ['-O2', '-s', '-static', '-o', out, src];

function missingCompiler(detail: string): Error {
  return new Error(`building the container runtime's helper needs a C compiler with static libc (run scripts/install-deps.sh as root to install gcc and libc6-dev): ${detail}`);
}

/** Compiles the helper to `bin` (through a temporary file, so `bin` exists only complete). */
export function buildHelper(bin: string): void {
  mkdirSync(dirname(bin), { recursive: true });
  const src = `${bin}.c`;
  writeFileSync(src, HELPER_C);
  const tmp = `${bin}.${process.pid}.tmp`;
  try {
    const cc = spawnSync('cc', CC_ARGS(tmp, src), { encoding: 'utf8' });
    if (cc.error) throw missingCompiler(cc.error.message);
    if (cc.status !== 0) throw missingCompiler(cc.stderr.trim());
    renameSync(tmp, bin);
  } finally {
    rmSync(src, { force: true });
    rmSync(tmp, { force: true });
  }
}

/**
 * The helper: the one the build put in dist/, else one built on first use under
 * <clusterDir>/runtime. The file name carries a hash of the source, so a changed helper never
 * replaces the binary running shims still use.
 */
export function ensureHelper(clusterDir: string): string {
  const prebuilt = prebuiltHelper();
  if (prebuilt) return prebuilt;
  const { bin } = helperFiles(clusterDir);
  if (!existsSync(bin)) buildHelper(bin);
  return bin;
}

/**
 * Builds the helper ahead of the first container when the build did not (`skiff up` runs it
 * beside the control plane's start), without blocking: the first start then finds it built. A
 * failure here is reported by ensureHelper at that start.
 */
export async function prepareHelper(clusterDir: string): Promise<void> {
  if (prebuiltHelper()) return;
  const { dir, bin, src } = helperFiles(clusterDir);
  if (existsSync(bin)) return;
  mkdirSync(dir, { recursive: true });
  writeFileSync(src, HELPER_C);
  const tmp = `${bin}.${process.pid}.tmp`;
  const ok = await new Promise<boolean>((resolve) => execFile('cc', CC_ARGS(tmp, src), (err) => resolve(!err)));
  if (ok) renameSync(tmp, bin);
}

/**
 * The pause image's root under <clusterDir>/runtime: the helper as /pause (it is static) and
 * the mountpoints runc needs. Built once; the name follows the helper's.
 */
export function ensurePauseRoot(helper: string, clusterDir: string): string {
  const root = join(clusterDir, 'runtime', `pause-root-${HELPER_HASH}`);
  if (existsSync(root)) return root;
  const tmp = `${root}.${process.pid}.tmp`;
  rmSync(tmp, { recursive: true, force: true });
  for (const d of ['dev', 'proc', 'sys', 'etc']) mkdirSync(join(tmp, d), { recursive: true });
  copyFileSync(helper, join(tmp, 'pause'));
  chmodSync(join(tmp, 'pause'), 0o755);
  try {
    renameSync(tmp, root);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    if (!existsSync(root)) throw e;
  }
  return root;
}
