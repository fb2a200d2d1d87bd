/* SPDX-License-Identifier: Apache-2.0 */
/* A terminal's text as a PNG, for the README: the text is put in a page
 * (escaped, monospace, light on dark) and headless Chromium photographs
 * exactly that block.
 *
 *   TERMINAL_TEXT=FILE TERMINAL_PNG=OUT.png sh run.sh terminal.js
 *
 * (absolute paths: run.sh runs it from this directory). The first line of
 * FILE is the command, shown after a prompt. Used by
 * scripts/screenshots-nodes.sh for `./stack nodes ls`. */
'use strict';
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');
const h = require('./harness');

function escape(s) {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

async function main() {
  const input = process.env.TERMINAL_TEXT;
  const out = process.env.TERMINAL_PNG;
  if (!input || !out) {
    console.error('usage: TERMINAL_TEXT=FILE TERMINAL_PNG=OUT.png sh run.sh terminal.js');
    process.exit(2);
  }
  const lines = fs.readFileSync(input, 'utf8').replace(/\s+$/, '').split('\n');
  const body = '<span class="p">$ </span>' + escape(lines[0]) + '\n' + escape(lines.slice(1).join('\n'));
  const html = '<!doctype html><meta charset="utf-8"><style>' +
    'body{margin:0;background:#fff}' +
    'pre{display:inline-block;margin:0;padding:14px 18px;background:#1e1e1e;color:#e6e6e6;' +
    'font:14px/1.45 "DejaVu Sans Mono",monospace;border-radius:6px}' +
    '.p{color:#7ec699}</style><pre id="t">' + body + '</pre>';
  const browser = await h.launch();
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 300 } });
    await page.setContent(html);
    await page.locator('#t').screenshot({ path: out });
  } finally {
    await browser.close();
  }
  spawnSync('pngquant', ['--force', '--skip-if-larger', '--strip', '--quality=70-95', '--output', out, out]);
  console.log('    ' + path.relative(process.cwd(), out) + ' ' + fs.statSync(out).size + ' bytes');
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
