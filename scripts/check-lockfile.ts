// Fails when `npm ci` would: package.json and package-lock.json disagree, or the lock file lacks
// a package some locked package needs, optional platform builds included (DuckDB's bindings and
// Rollup's for macOS, Linux arm64 and Windows). A lock written on one machine must install the
// same versions on a physicist's laptop of another kind.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { projectRoot } from "../loaders/paths.js";

interface LockedPackage {
  version?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  devDependencies?: Record<string, string>;
  link?: boolean;
}

export function lockfileProblems(
  manifest: Record<string, unknown>,
  lock: { packages?: Record<string, LockedPackage> },
): string[] {
  const problems: string[] = [];
  const packages = lock.packages ?? {};
  const root = packages[""];
  if (!root) return ["package-lock.json has no root package: run npm install"];
  for (const field of ["dependencies", "devDependencies", "optionalDependencies"] as const) {
    const wanted = (manifest[field] ?? {}) as Record<string, string>;
    const locked = root[field] ?? {};
    for (const name of new Set([...Object.keys(wanted), ...Object.keys(locked)])) {
      if (wanted[name] !== locked[name]) {
        problems.push(
          `${field}.${name}: package.json says ${wanted[name] ?? "nothing"}, the lock file ${locked[name] ?? "nothing"}`,
        );
      }
    }
  }
  // Node's resolution: the nearest node_modules/<name> up the tree from the dependent package.
  const resolves = (from: string, name: string) => {
    for (let dir = from; ;) {
      if (packages[`${dir ? `${dir}/` : ""}node_modules/${name}`]) return true;
      if (!dir) return false;
      const cut = dir.lastIndexOf("/node_modules/");
      dir = cut < 0 ? "" : dir.slice(0, cut);
    }
  };
  for (const [path, entry] of Object.entries(packages)) {
    if (entry.link) continue;
    const needs = {
      ...entry.dependencies,
      ...entry.optionalDependencies,
      ...Object.fromEntries(
        Object.entries(entry.peerDependencies ?? {}).filter(([name]) => !entry.peerDependenciesMeta?.[name]?.optional),
      ),
      ...(path === "" ? entry.devDependencies : {}),
    };
    for (const name of Object.keys(needs)) {
      if (!resolves(path, name)) problems.push(`${path || "(root)"} needs ${name}, which the lock file does not hold`);
    }
  }
  return problems;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const read = (file: string) => JSON.parse(readFileSync(join(projectRoot, file), "utf8"));
  const problems = lockfileProblems(read("package.json"), read("package-lock.json"));
  if (problems.length > 0) {
    console.error(`package-lock.json would not install with npm ci (${problems.length} problem(s)):`);
    for (const p of problems.slice(0, 20)) console.error(`  ${p}`);
    console.error("Run npm install (with npm 11 or later) and commit package-lock.json.");
    process.exit(1);
  }
  console.log("package-lock.json is complete: npm ci installs the locked versions on every platform");
}
