// The user and name-service files of the base distributions the built-in images are built
// FROM, as those bases ship them, so that `id`, `ls -l`, `whoami` and a runtime resolving the
// image's USER see the names the real image has. Each text is the file byte for byte (with
// `x` in the password field, as the images have it); the sources are named per base.

/** The bases the built-in images start from. */
export type BaseName = 'busybox' | 'alpine' | 'debian' | 'debian-legacy' | 'distroless';

export interface EtcFiles {
  passwd: string;
  group: string;
  /** Absent where the base has no /etc/nsswitch.conf (the busybox image). */
  nsswitch?: string;
}

// docker-library/busybox installs buildroot's system/skeleton/etc/{passwd,group}
// (Dockerfile.builder: "install a few extra files from buildroot").
const BUSYBOX: EtcFiles = {
  passwd: `root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
bin:x:2:2:bin:/bin:/bin/false
sys:x:3:3:sys:/dev:/bin/false
sync:x:4:100:sync:/bin:/bin/sync
mail:x:8:8:mail:/var/spool/mail:/bin/false
www-data:x:33:33:www-data:/var/www:/bin/false
operator:x:37:37:Operator:/var:/bin/false
nobody:x:65534:65534:nobody:/home:/bin/false
`,
  group: `root:x:0:
daemon:x:1:
bin:x:2:
sys:x:3:
adm:x:4:
tty:x:5:
disk:x:6:
lp:x:7:
mail:x:8:
kmem:x:9:
wheel:x:10:root
cdrom:x:11:
dialout:x:18:
floppy:x:19:
video:x:28:
audio:x:29:
tape:x:32:
www-data:x:33:
operator:x:37:
utmp:x:43:
plugdev:x:46:
staff:x:50:
lock:x:54:
netdev:x:82:
users:x:100:
nobody:x:65534:
`,
};

// alpine-baselayout-data 3.4 and later (Alpine 3.17+: the trimmed user list, root's shell
// /bin/sh, /etc/nsswitch.conf since 3.16).
const ALPINE: EtcFiles = {
  passwd: `root:x:0:0:root:/root:/bin/sh
bin:x:1:1:bin:/bin:/sbin/nologin
daemon:x:2:2:daemon:/sbin:/sbin/nologin
lp:x:4:7:lp:/var/spool/lpd:/sbin/nologin
sync:x:5:0:sync:/sbin:/bin/sync
shutdown:x:6:0:shutdown:/sbin:/sbin/shutdown
halt:x:7:0:halt:/sbin:/sbin/halt
mail:x:8:12:mail:/var/mail:/sbin/nologin
news:x:9:13:news:/usr/lib/news:/sbin/nologin
uucp:x:10:14:uucp:/var/spool/uucppublic:/sbin/nologin
cron:x:16:16:cron:/var/spool/cron:/sbin/nologin
ftp:x:21:21::/var/lib/ftp:/sbin/nologin
sshd:x:22:22:sshd:/dev/null:/sbin/nologin
games:x:35:35:games:/usr/games:/sbin/nologin
ntp:x:123:123:NTP:/var/empty:/sbin/nologin
guest:x:405:100:guest:/dev/null:/sbin/nologin
nobody:x:65534:65534:nobody:/:/sbin/nologin
`,
  group: `root:x:0:root
bin:x:1:root,bin,daemon
daemon:x:2:root,bin,daemon
sys:x:3:root,bin
adm:x:4:root,daemon
tty:x:5:
disk:x:6:root
lp:x:7:lp
kmem:x:9:
wheel:x:10:root
floppy:x:11:root
mail:x:12:mail
news:x:13:news
uucp:x:14:uucp
cron:x:16:cron
audio:x:18:
cdrom:x:19:
dialout:x:20:root
ftp:x:21:
sshd:x:22:
input:x:23:
tape:x:26:root
video:x:27:root
netdev:x:28:
kvm:x:34:
games:x:35:
shadow:x:42:
www-data:x:82:
users:x:100:games
ntp:x:123:
utmp:x:406:
ping:x:999:
nogroup:x:65533:
nobody:x:65534:
`,
  nsswitch: `# musl itself does not support NSS, however some third-party DNS
# implementations use the nsswitch.conf file to determine what
# policy to follow.
# Editing this file is not recommended.
hosts: files dns
`,
};

// Debian's libc-bin default, written by its postinst (/usr/share/libc-bin/nsswitch.conf).
const DEBIAN_NSSWITCH = `# /etc/nsswitch.conf
#
# Example configuration of GNU Name Service Switch functionality.
# If you have the \`glibc-doc-reference' and \`info' packages installed, try:
# \`info libc "Name Service Switch"' for information about this file.

passwd:         files
group:          files
shadow:         files
gshadow:        files

hosts:          files dns
networks:       files

protocols:      db files
services:       db files
ethers:         db files
rpc:            db files

netgroup:       nis
`;

// base-passwd 3.6.1 (bookworm; its changelog through 3.6.3 changes no entry): passwd.master and
// group.master, gnats gone, _apt added.
const DEBIAN: EtcFiles = {
  passwd: `root:x:0:0:root:/root:/bin/bash
daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin
bin:x:2:2:bin:/bin:/usr/sbin/nologin
sys:x:3:3:sys:/dev:/usr/sbin/nologin
sync:x:4:65534:sync:/bin:/bin/sync
games:x:5:60:games:/usr/games:/usr/sbin/nologin
man:x:6:12:man:/var/cache/man:/usr/sbin/nologin
lp:x:7:7:lp:/var/spool/lpd:/usr/sbin/nologin
mail:x:8:8:mail:/var/mail:/usr/sbin/nologin
news:x:9:9:news:/var/spool/news:/usr/sbin/nologin
uucp:x:10:10:uucp:/var/spool/uucp:/usr/sbin/nologin
proxy:x:13:13:proxy:/bin:/usr/sbin/nologin
www-data:x:33:33:www-data:/var/www:/usr/sbin/nologin
backup:x:34:34:backup:/var/backups:/usr/sbin/nologin
list:x:38:38:Mailing List Manager:/var/list:/usr/sbin/nologin
irc:x:39:39:ircd:/run/ircd:/usr/sbin/nologin
_apt:x:42:65534::/nonexistent:/usr/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
`,
  group: `root:x:0:
daemon:x:1:
bin:x:2:
sys:x:3:
adm:x:4:
tty:x:5:
disk:x:6:
lp:x:7:
mail:x:8:
news:x:9:
uucp:x:10:
man:x:12:
proxy:x:13:
kmem:x:15:
dialout:x:20:
fax:x:21:
voice:x:22:
cdrom:x:24:
floppy:x:25:
tape:x:26:
sudo:x:27:
audio:x:29:
dip:x:30:
www-data:x:33:
backup:x:34:
operator:x:37:
list:x:38:
irc:x:39:
src:x:40:
shadow:x:42:
utmp:x:43:
video:x:44:
sasl:x:45:
plugdev:x:46:
staff:x:50:
games:x:60:
users:x:100:
nogroup:x:65534:
`,
  nsswitch: DEBIAN_NSSWITCH,
};

// glibc's nsswitch as Debian shipped it before bullseye (compat for passwd, group, shadow);
// distroless static copies it verbatim (static/nsswitch.conf).
const COMPAT_NSSWITCH = DEBIAN_NSSWITCH.replace(
  'passwd:         files\ngroup:          files\nshadow:         files\n',
  'passwd:         compat\ngroup:          compat\nshadow:         compat\n',
);

// base-passwd 3.5.3x (jessie; echoserver's ubuntu-slim 16.04 is taken to have the same masters):
// gnats, irc's home under /var/run, no _apt.
const DEBIAN_LEGACY: EtcFiles = {
  passwd: DEBIAN.passwd
    .replace('irc:x:39:39:ircd:/run/ircd:', 'irc:x:39:39:ircd:/var/run/ircd:')
    .replace(
      '_apt:x:42:65534::/nonexistent:/usr/sbin/nologin\n',
      'gnats:x:41:41:Gnats Bug-Reporting System (admin):/var/lib/gnats:/usr/sbin/nologin\n',
    ),
  group: DEBIAN.group.replace('src:x:40:\n', 'src:x:40:\ngnats:x:41:\n'),
  nsswitch: COMPAT_NSSWITCH,
};

// GoogleContainerTools/distroless common/BUILD.bazel: root, nobody, nonroot (65532); groups
// root, nobody, tty, staff, nonroot.
const DISTROLESS: EtcFiles = {
  passwd: `root:x:0:0:root:/root:/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin
nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin
`,
  group: `root:x:0:
nobody:x:65534:
tty:x:5:
staff:x:50:
nonroot:x:65532:
`,
  nsswitch: COMPAT_NSSWITCH,
};

export const BASE_ETC: Record<BaseName, EtcFiles> = {
  busybox: BUSYBOX,
  alpine: ALPINE,
  debian: DEBIAN,
  'debian-legacy': DEBIAN_LEGACY,
  distroless: DISTROLESS,
};

/** What an image's Dockerfile adds to its base's files (useradd/adduser and addgroup). */
export interface EtcAdditions {
  /** passwd lines appended, as the tools write them. */
  users?: string[];
  /** group lines appended. */
  groups?: string[];
  /** [group, user]: busybox `adduser -G group user` also lists the user in the group's line. */
  members?: Array<[string, string]>;
}

function addMember(group: string, name: string, user: string): string {
  return group
    .split('\n')
    .map((line) => {
      const f = line.split(':');
      if (f.length !== 4 || f[0] !== name) return line;
      const members = f[3] === '' ? [] : f[3].split(',');
      return members.includes(user) ? line : `${f[0]}:${f[1]}:${f[2]}:${[...members, user].join(',')}`;
    })
    .join('\n');
}

/** The image's /etc files: its base's, with what the image's build added. */
export function imageEtc(base: BaseName, add: EtcAdditions = {}): EtcFiles {
  const b = BASE_ETC[base];
  let group = b.group + (add.groups ?? []).map((l) => `${l}\n`).join('');
  for (const [g, u] of add.members ?? []) group = addMember(group, g, u);
  return { ...b, passwd: b.passwd + (add.users ?? []).map((l) => `${l}\n`).join(''), group };
}

export interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  gecos: string;
  home: string;
  shell: string;
}

export interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

export function parsePasswd(text: string): PasswdEntry[] {
  return text
    .split('\n')
    .map((l) => l.split(':'))
    .filter((f) => f.length === 7)
    .map(([name, , uid, gid, gecos, home, shell]) => ({ name, uid: Number(uid), gid: Number(gid), gecos, home, shell }));
}

export function parseGroup(text: string): GroupEntry[] {
  return text
    .split('\n')
    .map((l) => l.split(':'))
    .filter((f) => f.length === 4)
    .map(([name, , gid, members]) => ({ name, gid: Number(gid), members: members === '' ? [] : members.split(',') }));
}
