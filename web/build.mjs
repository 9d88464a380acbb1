// Builds the demo site from src/ into a directory, or checks that the
// committed dist/ is exactly what the sources and the lock file produce.
//
//   node build.mjs dist       build into dist/ (emptied first)
//   node build.mjs --check    build into a temporary directory and compare
import { build } from "esbuild";
import { createHash } from "node:crypto";
import { mkdtemp, readdir, readFile, rm, mkdir, writeFile, copyFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const src = join(here, "src");

// Files copied as they are, with a content hash in their name.
const assets = ["favicon.svg"];
// Pages: their {{name}} placeholders become the built files' hashed names.
const pages = ["index.html", "mod.html", "agent.html", "account.html"];

function hashed(name, bytes) {
  const hash = createHash("sha256").update(bytes).digest("hex").slice(0, 10);
  const dot = name.lastIndexOf(".");
  return `${name.slice(0, dot)}-${hash}${name.slice(dot)}`;
}

async function buildInto(out) {
  await rm(out, { recursive: true, force: true });
  await mkdir(out, { recursive: true });
  const result = await build({
    entryPoints: {
      app: join(src, "main.ts"),
      style: join(src, "style.css"),
      mod: join(src, "mod/main.ts"),
      modstyle: join(src, "mod/mod.css"),
      agent: join(src, "support/agent.ts"),
      agentstyle: join(src, "support/agent.css"),
      account: join(src, "account", "main.ts"),
    },
    bundle: true,
    minify: true,
    format: "esm",
    target: ["es2022", "chrome100", "firefox100", "safari15"],
    write: false,
    outdir: out,
    entryNames: "[name]-[hash]",
    legalComments: "eof",
    charset: "utf8",
    sourcemap: false,
    logLevel: "warning",
  });
  const names = {};
  for (const file of result.outputFiles) {
    const base = file.path.slice(out.length + 1);
    names[base.replace(/-[A-Z0-9]+\./, ".")] = base;
    await writeFile(file.path, file.contents);
  }
  for (const asset of assets) {
    const bytes = await readFile(join(src, asset));
    names[asset] = hashed(asset, bytes);
    await writeFile(join(out, names[asset]), bytes);
  }
  for (const page of pages) {
    let html = await readFile(join(src, page), "utf8");
    html = html.replace(/\{\{([a-z.]+)\}\}/g, (_, key) => {
      if (!names[key]) throw new Error(`${page} names {{${key}}}, which the build does not make`);
      return names[key];
    });
    await writeFile(join(out, page), html);
  }
}

async function listFiles(dir) {
  try {
    return (await readdir(dir, { recursive: true, withFileTypes: true }))
      .filter((e) => e.isFile())
      .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
      .sort();
  } catch {
    return [];
  }
}

async function check() {
  const dist = join(here, "dist");
  const tmp = await mkdtemp(join(tmpdir(), "liveroom-web-"));
  try {
    await buildInto(tmp);
    const want = await listFiles(tmp);
    const have = await listFiles(dist);
    const problems = [];
    for (const f of want) if (!have.includes(f)) problems.push(`missing from dist/: ${f}`);
    for (const f of have) if (!want.includes(f)) problems.push(`not made by the build: dist/${f}`);
    for (const f of want.filter((f) => have.includes(f))) {
      const [a, b] = await Promise.all([readFile(join(tmp, f)), readFile(join(dist, f))]);
      if (!a.equals(b)) problems.push(`differs from a fresh build: dist/${f}`);
    }
    if (problems.length) {
      console.error(problems.join("\n"));
      console.error("dist/ does not match src/ and package-lock.json: run `npm ci && npm run build` and commit dist/.");
      process.exitCode = 1;
      return;
    }
    console.log(`dist/ matches a fresh build (${want.length} files)`);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

const arg = process.argv[2];
if (arg === "--check") {
  await check();
} else if (arg) {
  await buildInto(join(here, arg));
  console.log(`built ${arg}/`);
} else {
  console.error("usage: node build.mjs <outdir> | --check");
  process.exitCode = 2;
}
