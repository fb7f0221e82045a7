// Makes Observable Framework build and preview with no network.
//
// Framework resolves `npm:` imports (including the implicit `Plot`, `d3`, `Inputs`, `html`)
// by asking the registry for versions and downloading from a public CDN. It skips both when
// `.observablehq/cache/_npm/<name>@<version>/_esm.js` already exists, and an empty
// `<name>@<version>` folder answers the version look-up. So before every build we bundle the
// libraries pages use from node_modules with esbuild, and pin every other name Framework's
// client mentions to an empty folder: using one of those fails loudly instead of fetching.
import { build } from "esbuild";
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const projectRoot = join(dirname(fileURLToPath(import.meta.url)), "..");
const npmCache = join(projectRoot, "src", ".observablehq", "cache", "_npm");

/** Libraries a page may use through Framework's implicit imports, bundled from node_modules. */
const BUNDLED = ["d3", "@observablehq/plot", "@observablehq/inputs", "htl", "d3-dsv", "isoformat"];

/** Names Framework's client can reference; pinned so no version look-up ever leaves the machine. */
const PINNED_ONLY = [
  "@duckdb/duckdb-wasm",
  "@uwdata/vgplot",
  "@viz-js/viz",
  "@observablehq/sample-datasets",
  "apache-arrow",
  "arquero",
  "echarts",
  "exceljs",
  "jszip",
  "katex",
  "leaflet",
  "lodash",
  "mapbox-gl",
  "mermaid",
  "parquet-wasm",
  "react",
  "react-dom",
  "sql.js",
  "topojson-client",
  "vega",
  "vega-lite",
  "vega-lite-api",
];

// Top-level node_modules only: some packages (d3) do not export their package.json.
function findPackageDir(name: string): string {
  return join(projectRoot, "node_modules", name);
}

function installedVersion(name: string): string {
  const pkg = JSON.parse(readFileSync(join(findPackageDir(name), "package.json"), "utf8")) as { version: string };
  return pkg.version;
}

async function bundle(name: string): Promise<void> {
  const version = installedVersion(name);
  const dir = join(npmCache, `${name}@${version}`);
  const out = join(dir, "_esm.js");
  if (existsSync(out)) return;
  mkdirSync(dir, { recursive: true });
  await build({
    stdin: { contents: `export * from ${JSON.stringify(name)};`, resolveDir: findPackageDir(name) },
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    minify: true,
    logLevel: "error",
    outfile: out,
  });
  // Framework reads the package.json next to a cached module to resolve its dependencies.
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name, version, dependencies: {} }));
}

function pin(name: string): void {
  let version = "0.0.0-offline";
  try {
    version = installedVersion(name);
  } catch {
    // not installed: the placeholder still answers the version look-up
  }
  mkdirSync(join(npmCache, `${name}@${version}`), { recursive: true });
}

/** Remove stale versions left by an upgrade, so Framework never picks an old bundle. */
function pruneOtherVersions(name: string, keep: string): void {
  const scopeDir = name.startsWith("@") ? join(npmCache, name.split("/")[0]!) : npmCache;
  const base = name.startsWith("@") ? name.split("/")[1]! : name;
  if (!existsSync(scopeDir)) return;
  for (const entry of readdirSync(scopeDir)) {
    if (entry.startsWith(`${base}@`) && entry !== `${base}@${keep}`) rmSync(join(scopeDir, entry), { recursive: true });
  }
}

/**
 * runboard's own data loaders (src/data/catalog.json.ts, runs.json.ts, runs/[run]/, and the how-to's
 * source-summary.parquet.ts) read the
 * snapshot, not anything Framework can see change: their cached outputs are dropped before each
 * build so a build never ships an older snapshot's numbers. A physicist's own loaders keep
 * Framework's cache (it re-runs a loader when the loader's file is newer than its output).
 */
export function forgetRunboardLoaderOutputs(): void {
  const data = join(projectRoot, "src", ".observablehq", "cache", "data");
  const own = ["catalog.json", "runs.json", "runs", "source-summary.parquet"];
  for (const name of own) rmSync(join(data, name), { recursive: true, force: true });
}

export async function seedFrameworkCache(): Promise<void> {
  forgetRunboardLoaderOutputs();
  mkdirSync(npmCache, { recursive: true });
  for (const name of BUNDLED) {
    pruneOtherVersions(name, installedVersion(name));
    await bundle(name);
  }
  for (const name of PINNED_ONLY) pin(name);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await seedFrameworkCache();
  console.log(`framework npm cache seeded from node_modules: ${npmCache}`);
}
