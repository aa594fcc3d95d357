import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { askProgram, keepHostProgramAnswers } from '../../../src/images/host-programs.js';

// `echo $$` prints the shell's pid: a kept answer repeats it, a new run does not.
const ask = (about: string[]) => askProgram('/bin/sh', ['-c', 'echo $$'], about).stdout;

test('an answer is kept for the machine while the files it is about are unchanged', () => {
  const a = mkdtempSync(join(tmpdir(), 'host-programs-a-'));
  const b = mkdtempSync(join(tmpdir(), 'host-programs-b-'));
  const subject = join(a, 'subject');
  writeFileSync(subject, 'v1');
  try {
    keepHostProgramAnswers(a);
    const first = ask([subject]);
    assert.match(first, /^\d+\n$/);
    assert.equal(ask([subject]), first);
    assert.ok(existsSync(join(a, 'cache', 'host-programs.json')));

    // Another home has its own answers; coming back reads the first home's file again.
    keepHostProgramAnswers(b);
    assert.notEqual(ask([subject]), first);
    keepHostProgramAnswers(a);
    assert.equal(ask([subject]), first);

    // The file changed (an upgraded program): asked again.
    writeFileSync(subject, 'v2, longer');
    utimesSync(subject, new Date(), new Date(Date.now() + 5_000));
    assert.notEqual(ask([subject]), first);
  } finally {
    rmSync(a, { recursive: true, force: true });
    rmSync(b, { recursive: true, force: true });
  }
});

test('a program that cannot run answers with its error and no status', () => {
  const home = mkdtempSync(join(tmpdir(), 'host-programs-'));
  try {
    keepHostProgramAnswers(home);
    const r = askProgram(join(home, 'no-such-program'), ['--list'], []);
    assert.equal(r.status, null);
    assert.match(r.error ?? '', /ENOENT/);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});
