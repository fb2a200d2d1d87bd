/* SPDX-License-Identifier: Apache-2.0 */
/* Screenshots of the visualizer page with headless Chromium, into
 * docs/screenshots/ (or SCREENSHOT_DIR).
 *
 *   node screenshots.js                      the mock server's fixtures
 *   VISUALIZER_URL=http://127.0.0.1:8080/ node screenshots.js
 *   VISUALIZER_BIN=../../build/visualizer/visualizer node screenshots.js
 *                                            whatever the real server shows
 *                                            now, as real-<w>x<h>.png (and
 *                                            real-all-... with the toggle on)
 *
 * Viewport-sized PNGs at 1280x800 (a laptop) and 1920x1080 (a projector),
 * made smaller with pngquant when it is installed. */
'use strict';
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');
const h = require('./harness');

const SIZES = [[1280, 800], [1920, 1080]];
const [LAPTOP, PROJECTOR] = SIZES;
/* name, fixture, query string, sizes, extra context options */
const SHOTS = [
  ['two-nodes', 'two-nodes', '', SIZES],
  ['fifty-nodes', 'fifty', '', SIZES],
  ['not-swarm', 'containers', '', SIZES],
  ['hostile-strings', 'hostile', 'all=1', SIZES],
  ['conditions', 'mixed', 'all=1', [LAPTOP]],
  ['two-nodes-dark', 'two-nodes', '', [LAPTOP], { colorScheme: 'dark' }],
  ['two-nodes-projector', 'two-nodes', 'projector=1', [PROJECTOR]],
  ['engine-unreachable', 'disconnected', '', [LAPTOP]],
];

/* Makes a PNG smaller with pngquant (a 256-colour palette; Debian's
 * pngquant package) when it is installed; leaves it as it is otherwise. */
function shrink(file) {
  const r = spawnSync('pngquant', ['--force', '--skip-if-larger', '--strip', '--quality=70-95', '--output', file, file]);
  if (r.error && r.error.code === 'ENOENT' && !shrink.warned) {
    shrink.warned = true;
    console.log('    (pngquant not installed: PNGs kept as Chromium wrote them)');
  }
}

async function shoot(browser, base, file, query, w, ht, opts, states) {
  const page = await h.newPage(browser, { viewport: { width: w, height: ht }, colorScheme: 'light', ...opts });
  await page.goto(base + (query ? '?' + query : ''));
  await h.waitDrawn(page, states || ['ok', 'engine']);
  await h.sleep(300);
  await page.screenshot({ path: file });
  shrink(file);
  if (page.problems.length) {
    console.log('    problems on ' + file + ': ' + page.problems.join('; '));
    process.exitCode = 1;
  }
  await page.context().close();
  console.log('    ' + path.relative(process.cwd(), file) + ' ' + fs.statSync(file).size + ' bytes');
}

async function main() {
  const dir = path.resolve(process.env.SCREENSHOT_DIR || path.join(h.SOURCE, 'docs', 'screenshots'));
  fs.mkdirSync(dir, { recursive: true });
  const target = await h.startTarget();
  const browser = await h.launch();
  try {
    if (!target.control) {
      for (const [w, ht] of SIZES) {
        await shoot(browser, target.base, path.join(dir, 'real-' + w + 'x' + ht + '.png'), '', w, ht);
        await shoot(browser, target.base, path.join(dir, 'real-all-' + w + 'x' + ht + '.png'), 'all=1', w, ht);
      }
      return;
    }
    const only = process.env.SHOTS ? process.env.SHOTS.split(',') : null;
    for (const [name, fixture, query, sizes, opts] of SHOTS) {
      if (only && !only.includes(name)) continue;
      await h.mockPost(target.base, '/_mock/fixture', fixture);
      for (const [w, ht] of sizes) {
        await shoot(browser, target.base, path.join(dir, name + '-' + w + 'x' + ht + '.png'), query, w, ht, opts);
      }
    }
  } finally {
    await browser.close();
    await target.stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
