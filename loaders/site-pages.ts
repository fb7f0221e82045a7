// The site's sidebar: runboard's own pages first, then every other page a physicist adds under
// src/pages/ (a notebook), found when the site is built, so a new page appears without editing
// the config. A page's name is its front matter's `title`, else its first `# heading`, else its
// file name; a folder of pages becomes a section of its own.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";

export interface SitePage {
  name: string;
  path: string;
}
export interface SiteSection {
  name: string;
  pages: SitePage[];
  open?: boolean;
}

/** runboard's own pages, in the order the sidebar shows them. */
export const OWN_PAGES: readonly SitePage[] = [
  { name: "Overview", path: "/" },
  { name: "Alarms", path: "/pages/alarms" },
  { name: "Runs", path: "/pages/runs" },
  { name: "Dashboards", path: "/pages/dashboards" },
  { name: "Dashboard editor", path: "/pages/dashboard" },
  { name: "Playlists", path: "/pages/playlists" },
  { name: "Admin", path: "/pages/admin" },
];

/** A page's name, as the sidebar shows it. */
export function pageTitle(text: string, fallback: string): string {
  const front = /^---\r?\n([\s\S]*?)\r?\n---/.exec(text);
  const title = front && /^title:\s*(.+?)\s*$/m.exec(front[1]!);
  if (title) return title[1]!.replace(/^(["'])(.*)\1$/, "$2");
  const heading = /^#\s+(.+?)\s*#*\s*$/m.exec(front ? text.slice(front[0].length) : text);
  if (heading && !heading[1]!.includes("${")) return heading[1]!;
  return fallback.replace(/[-_]+/g, " ").replace(/^\w/, (c) => c.toUpperCase());
}

/**
 * The sidebar for these pages (paths relative to src/, without `.md`; texts as read): runboard's
 * own first, then the others (with those of pages/notebooks/) under "Notebooks", then one section
 * per other folder, each sorted by name.
 */
export function arrangePages(files: readonly { path: string; text: string }[]): (SitePage | SiteSection)[] {
  // The playlist player (/play/<id>) is opened by a link, not from the sidebar.
  const own = new Set([...OWN_PAGES.map((p) => p.path), "/pages/play"]);
  const loose: SitePage[] = [];
  const folders = new Map<string, SitePage[]>();
  for (const file of files) {
    const path = `/${file.path}`;
    if (own.has(path) || path === "/index") continue;
    const parts = file.path.split("/");
    // Only pages under pages/ are notebooks; anything else under src/ is the site's own.
    if (parts[0] !== "pages" || parts.length < 2) continue;
    const page = { name: pageTitle(file.text, parts.at(-1)!), path: path.replace(/\/index$/, "/") };
    if (parts.length === 2) loose.push(page);
    else {
      const folder = parts[1]!;
      (folders.get(folder) ?? folders.set(folder, []).get(folder)!).push(page);
    }
  }
  const byName = (a: SitePage, b: SitePage) => a.name.localeCompare(b.name);
  // Loose pages and the pages/notebooks/ folder are one section: two called "Notebooks" would confuse.
  const notebooks = [...loose, ...(folders.get("notebooks") ?? [])];
  folders.delete("notebooks");
  return [
    ...OWN_PAGES,
    ...(notebooks.length ? [{ name: "Notebooks", pages: notebooks.sort(byName), open: true }] : []),
    ...[...folders]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([folder, pages]) => ({ name: pageTitle("", folder), pages: pages.sort(byName), open: true })),
  ];
}

/** Every Markdown page under `src`, as `arrangePages` takes them. */
export function readPages(src: string): { path: string; text: string }[] {
  const found: { path: string; text: string }[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      if (name.startsWith(".") || name === "node_modules") continue;
      const full = join(dir, name);
      if (statSync(full).isDirectory()) walk(full);
      else if (name.endsWith(".md"))
        found.push({ path: relative(src, full).replace(/\.md$/, ""), text: readFileSync(full, "utf8") });
    }
  };
  walk(src);
  return found;
}
