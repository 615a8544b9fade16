// The dashboard's one page, in its three modes (live cluster, simulated run, trace viewer): the
// HTML shell with its config, and the same page made self-contained (script, style and data
// inline) for `rsmlab view --html`. The page loads nothing from anywhere but its own server.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ViewData } from './artifact.js';

export type PageMode = 'live' | 'sim' | 'view';

export interface PageConfig {
  mode: PageMode;
  /** The control token, when the page may carry it (loopback); otherwise the page takes it from #token=. */
  token: string | null;
  /** The viewer's data inline (self-contained page); otherwise fetched from /api/view. */
  data: ViewData | null;
}

const assets = fileURLToPath(new URL('../../../src/dashboard/assets/', import.meta.url));

export function asset(name: 'app.js' | 'app.css'): string {
  return readFileSync(`${assets}${name}`, 'utf8');
}

/** JSON that is safe inside a <script> element. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

function shell(config: PageConfig, style: string, script: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>rsmlab ${config.mode === 'view' ? 'trace viewer' : 'dashboard'}</title>
${style}
</head>
<body>
<div id="app"></div>
<script type="application/json" id="rsmlab-config">${scriptJson(config)}</script>
${script}
</body>
</html>
`;
}

/** The page as the dashboard server serves it (script and style from the same server). */
export function servedPage(config: PageConfig): string {
  return shell(config, '<link rel="stylesheet" href="/app.css">', '<script src="/app.js"></script>');
}

/** One file with everything inline: a student can attach it to a forum question. */
export function selfContainedPage(data: ViewData): string {
  const script = asset('app.js').replace(/<\/script/gi, '<\\/script');
  return shell({ mode: 'view', token: null, data }, `<style>\n${asset('app.css')}\n</style>`, `<script>\n${script}\n</script>`);
}
