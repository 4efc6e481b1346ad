// Builds the fan page and the admin console into one folder the floodgate binary
// embeds (server/build.rs runs this):
//   <outdir>/index.html   the fan page (also served for /events/{id}, /orders, …)
//   <outdir>/admin.html   the admin console (served for /admin and below)
//   <outdir>/assets/*     content-hashed JS and CSS, served with immutable caching
// Usage: node build.mjs [--outdir DIR] [--dev]   (default outdir: dist)
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const outIndex = args.indexOf('--outdir');
const outdir = path.resolve(outIndex >= 0 ? args[outIndex + 1] : path.join(here, 'dist'));
const dev = args.includes('--dev');

const pages = [
  { entry: 'fan', source: 'src/fan/main.js', template: 'src/fan/index.html', html: 'index.html' },
  { entry: 'admin', source: 'src/admin/main.js', template: 'src/admin/index.html', html: 'admin.html' },
];

// Catalogues are imported for their default export only; esbuild's JSON loader would
// also emit one named export per key, storing each catalogue twice.
const jsonDefaultOnly = {
  name: 'json-default-only',
  setup(build) {
    build.onLoad({ filter: /\.json$/ }, async (args) => {
      const text = JSON.stringify(JSON.parse(await readFile(args.path, 'utf8')));
      return { contents: `export default JSON.parse(${JSON.stringify(text)});`, loader: 'js' };
    });
  },
};

await rm(outdir, { recursive: true, force: true });
await mkdir(outdir, { recursive: true });

// The fan page's proof-of-work worker: its own bundle (a worker cannot share the
// page's chunks), whose hashed URL the page gets as `__POW_WORKER__`.
const worker = await esbuild.build({
  absWorkingDir: here,
  entryPoints: { powworker: 'src/fan/pow-worker.js' },
  outdir,
  bundle: true,
  format: 'esm',
  target: ['es2022', 'chrome100', 'firefox100', 'safari15'],
  minify: !dev,
  entryNames: 'assets/[name]-[hash]',
  metafile: true,
  logLevel: 'warning',
});
const [workerPath] = Object.keys(worker.metafile.outputs).filter((p) => p.endsWith('.js'));
const workerUrl = '/' + path.relative(outdir, path.resolve(here, workerPath)).split(path.sep).join('/');

const result = await esbuild.build({
  absWorkingDir: here,
  entryPoints: Object.fromEntries(pages.map((p) => [p.entry, p.source])),
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  target: ['es2022', 'chrome100', 'firefox100', 'safari15'],
  minify: !dev,
  sourcemap: dev ? 'linked' : false,
  entryNames: 'assets/[name]-[hash]',
  chunkNames: 'assets/chunk-[hash]',
  assetNames: 'assets/[name]-[hash]',
  loader: { '.svg': 'file', '.woff2': 'file' },
  plugins: [jsonDefaultOnly],
  define: { __POW_WORKER__: JSON.stringify(workerUrl) },
  metafile: true,
  legalComments: 'linked',
  logLevel: 'warning',
});

const outputs = Object.entries(result.metafile.outputs);
for (const page of pages) {
  const [jsPath, meta] = outputs.find(([, m]) => m.entryPoint === page.source) ?? [];
  if (!jsPath) throw new Error(`no output for ${page.source}`);
  const href = (p) => '/' + path.relative(outdir, path.resolve(here, p)).split(path.sep).join('/');
  const script = `<script type="module" src="${href(jsPath)}"></script>`;
  const style = meta.cssBundle ? `<link rel="stylesheet" href="${href(meta.cssBundle)}">` : '';
  const template = await readFile(path.join(here, page.template), 'utf8');
  const html = template.replace('<!-- STYLE -->', style).replace('<!-- SCRIPT -->', script);
  await writeFile(path.join(outdir, page.html), html);
}

const sizes = outputs
  .filter(([p]) => /\.(js|css)$/.test(p))
  .map(([p, m]) => `${path.basename(p)} ${m.bytes} B`);
console.log(`built ${pages.length} pages into ${outdir}: ${sizes.join(', ')}`);
