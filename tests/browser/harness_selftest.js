/* SPDX-License-Identifier: Apache-2.0 */
/* The harness must not hide a server that failed: a real visualizer run
 * by the page test (VISUALIZER_BIN) that exits non-zero, is killed, or
 * prints a sanitizer report fails that test (harness.js stopProc). This
 * proves it with stand-ins for the binary: small programs that serve
 * healthz like the visualizer and then misbehave in one way each, and one
 * that behaves. Prints each case; exits 1 if the harness missed one. */
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const h = require('./harness');

/* A stand-in visualizer in Node: serves CTX_ROOT/healthz on PORT, and on
 * SIGTERM does what MODE says. */
const STANDIN = `#!/usr/bin/env node
const http = require('http');
const mode = process.env.MODE;
const s = http.createServer((q, r) => { r.end('ok'); });
s.listen(Number(process.env.PORT), '127.0.0.1');
if (mode === 'asan') console.error('==1==ERROR: AddressSanitizer: heap-use-after-free on address 0x1');
if (mode === 'leak') console.error('==1==ERROR: LeakSanitizer: detected memory leaks');
if (mode === 'crash') setTimeout(() => process.kill(process.pid, 'SIGSEGV'), 300);
process.on('SIGTERM', () => {
  if (mode === 'hang') return;
  process.exit(mode === 'status' ? 3 : 0);
});
`;

async function main() {
  process.env.PART5_STOP_GRACE_MS = '1500';
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'harness-selftest-'));
  const bin = path.join(dir, 'visualizer');
  fs.writeFileSync(bin, STANDIN, { mode: 0o755 });
  const cases = [
    ['good', false, 'exits 0, no report: no problem'],
    ['status', true, 'exits 3 on SIGTERM'],
    ['asan', true, 'prints an AddressSanitizer report, exits 0'],
    ['leak', true, 'prints a LeakSanitizer report, exits 0'],
    ['crash', true, 'dies of SIGSEGV before it is stopped'],
    ['hang', true, 'ignores SIGTERM and is killed'],
  ];
  let missed = 0;
  for (const [mode, bad, what] of cases) {
    process.env.MODE = mode;
    const t = await h.startBinary(bin);
    await h.sleep(600);
    const problems = await t.stop();
    const ok = bad ? problems.length > 0 : problems.length === 0;
    console.log((ok ? '    ok: ' : '    MISSED: ') + mode + ' (' + what + '): ' +
      (problems.length ? problems.join('; ') : 'no problem reported'));
    if (!ok) missed++;
  }
  fs.rmSync(dir, { recursive: true, force: true });
  console.log('harness selftest: ' + (cases.length - missed) + '/' + cases.length + ' right');
  process.exit(missed ? 1 : 0);
}

main().catch((e) => {
  console.error(e);
  process.exit(2);
});
