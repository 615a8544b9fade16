#!/usr/bin/env node
// The `rsmlab` command's launcher. It is committed, not built, so the link that `npm install` and
// `npx rsmlab` make always points at a file that exists, even before the first build (npx keeps
// its links in a cache: one made to a missing file stayed broken). It runs the compiled CLI.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const main = new URL('../dist/src/cli/main.js', import.meta.url);
if (!existsSync(main)) {
  const root = fileURLToPath(new URL('..', import.meta.url));
  process.stderr.write(`rsmlab: not built yet: run \`npm install\` (or \`npm run build\`) in ${root}\n`);
  process.exit(2);
}
await import(main.href);
