import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The folder of the page's files: `page/` beside this module in the source tree (dist/ holds no copy of them). */
function pageFolder(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const root = here.endsWith(join('dist', 'pipeline', 'http', 'viewer'))
    ? resolve(here, '..', '..', '..', '..')
    : resolve(here, '..', '..', '..');
  return join(root, 'pipeline', 'http', 'viewer', 'page');
}

/**
 * The page with its script inlined (`<script src="viewer.js">` replaced by the file's text), so it
 * is one self-contained HTML file: no external scripts, fonts or styles.
 */
function inlinePage(folder: string): string {
  const html = readFileSync(join(folder, 'viewer.html'), 'utf8');
  const script = readFileSync(join(folder, 'viewer.js'), 'utf8');
  const tag = '<script src="viewer.js"></script>';
  if (!html.includes(tag)) throw new Error(`${join(folder, 'viewer.html')} has no ${tag} to inline`);
  return html.replace(tag, () => `<script>\n${script}</script>`);
}

/**
 * The web viewer: one self-contained HTML page (no external scripts, fonts or styles), served at
 * `GET /`. Per camera it draws the latest picture with every track's mask (decoded in the page
 * from the same COCO RLE subscribers get), box, id, class and trail; shows the camera's state,
 * fps, dropped frames and latency, a live list of lifecycle events with the tracks' snapshots, and
 * the camera's event clips (a click plays one in a <video> element). A picture is drawn only
 * together with the tracks message of the same frame index. `window.edgevisViewer` exposes what
 * was drawn last (for tests and debugging). Its code lives in `page/viewer.html` and
 * `page/viewer.js` (type-checked by `tsconfig.viewer.json`, linted like the rest), read once here.
 */
export const VIEWER_HTML = inlinePage(pageFolder());
