// Observable Framework config. Everything here must keep the build offline:
// no web fonts, no DuckDB extensions fetched at run time (see scripts/seed-framework-cache.ts).
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { THEME_KEY } from "./src/components/theme.js";
import { FAVICON_LINK } from "./src/components/site-mode.js";
import { arrangePages, readPages } from "./loaders/site-pages.js";
import { reportRuns } from "./loaders/build-data.js";

// The dark theme for control rooms (src/components/theme.ts switches it and keeps the choice):
// the kept choice is applied in the head, before the page paints, so a dark room never flashes white.
const themeHead = `${FAVICON_LINK}
<script>try{if(localStorage.getItem(${JSON.stringify(THEME_KEY)})==="dark")document.documentElement.dataset.theme="dark"}catch(e){}
if(/[?&]kiosk(=|&|$)/.test(location.search))document.documentElement.classList.add("kiosk")</script>
<style>
:root[data-theme="dark"] {
  --theme-foreground: #dfdfd6;
  --theme-foreground-focus: #7aa2ff;
  --theme-background-b: #161616;
  --theme-background-a: color-mix(in srgb, var(--theme-foreground) 4%, var(--theme-background-b));
  --theme-background: var(--theme-background-a);
  --theme-background-alt: var(--theme-background-b);
  --theme-foreground-alt: color-mix(in srgb, var(--theme-foreground) 90%, var(--theme-background-b));
  --theme-foreground-muted: color-mix(in srgb, var(--theme-foreground) 60%, var(--theme-background-b));
  --theme-foreground-faint: color-mix(in srgb, var(--theme-foreground) 50%, var(--theme-background-b));
  --theme-foreground-fainter: color-mix(in srgb, var(--theme-foreground) 30%, var(--theme-background-b));
  --theme-foreground-faintest: color-mix(in srgb, var(--theme-foreground) 14%, var(--theme-background-b));
  color-scheme: dark;
}
/* The alarm area (src/components/alarm-area.ts), in the fixed header of every page. Severity is
   said by a mark and a word as well as by colour. */
#observablehq-header { padding-top: 0.4rem; padding-bottom: 0.4rem; }
#observablehq-header ~ #observablehq-main { margin-top: calc(var(--observablehq-header-height) + 2rem); }
.alarm-area { display: flex; align-items: center; gap: 0.9rem; width: 100%; min-width: 0; height: 100%; padding: 0 0.6rem; border-left: 6px solid #16a34a; border-radius: 4px; background: var(--theme-background-alt); font-size: 0.95rem; white-space: nowrap; }
.alarm-area[data-state="minor"] { border-left-color: #d97706; background: color-mix(in srgb, #f59e0b 16%, var(--theme-background)); }
.alarm-area[data-state="major"] { border-left-color: #dc2626; background: color-mix(in srgb, #dc2626 18%, var(--theme-background)); }
.alarm-area[data-state="lost"], .alarm-area[data-state="refused"] { border-left-color: #6b7280; background: repeating-linear-gradient(135deg, var(--theme-background-alt) 0 10px, color-mix(in srgb, #6b7280 18%, var(--theme-background)) 10px 20px); }
.alarm-area .alarm-lost { color: #dc2626; }
.alarm-area .alarm-counts { display: inline-flex; gap: 0.7rem; font-weight: 600; }
.alarm-area .severity-major, .alarm-area .severity-invalid { color: #dc2626; }
:root[data-theme="dark"] .alarm-area .severity-major, :root[data-theme="dark"] .alarm-area .severity-invalid, :root[data-theme="dark"] .alarm-area .alarm-lost { color: #f87171; }
.alarm-area .severity-minor { color: #b45309; }
:root[data-theme="dark"] .alarm-area .severity-minor { color: #fbbf24; }
.alarm-area .alarm-worst-wrap { display: inline-flex; gap: 0.6rem; min-width: 0; overflow: hidden; }
.alarm-area .alarm-worst { overflow: hidden; text-overflow: ellipsis; font-weight: 600; }
.alarm-area .alarm-unacked { color: var(--theme-foreground-muted); }
.alarm-area .alarm-link { margin-left: auto; }
.alarm-area .alarm-sound { font-size: 0.8rem; }

/* A wall screen (?kiosk, src/components/kiosk.ts): the page's content alone. */
:root.kiosk { --observablehq-max-width: 100vw; }
:root.kiosk #observablehq-sidebar, :root.kiosk #observablehq-sidebar-toggle, :root.kiosk #observablehq-sidebar-backdrop,
:root.kiosk #observablehq-header, :root.kiosk #observablehq-footer, :root.kiosk .dashboard-nav, :root.kiosk .editor-intro,
:root.kiosk .alarm-intro { display: none !important; }
:root.kiosk #observablehq-center { margin: 0 !important; padding: 0.4rem 0.5rem !important; --observablehq-inset-left: 0rem !important; }
:root.kiosk #observablehq-main { margin: 0 !important; min-height: 0 !important; }
:root.kiosk #observablehq-main > .observablehq--block { margin: 0 !important; }
:root.kiosk .runboard-editor .grid-stack { min-height: 0 !important; }
.kiosk-bar { display: flex; align-items: baseline; gap: 1.2rem; padding: 0 0.3rem 0.2rem; font-size: 0.95rem; }
.kiosk-bar .kiosk-title { font-size: 1.1rem; }
.kiosk-updated { margin-left: auto; font-variant-numeric: tabular-nums; color: var(--theme-foreground-muted); }
.kiosk-updated[data-stale="true"] { color: #dc2626; font-weight: 700; }
.kiosk-bar .playlist-badge { color: var(--theme-foreground-muted); font-variant-numeric: tabular-nums; }
</style>`;

export default {
  title: "runboard",
  root: "src",
  // RUNBOARD_BUILD_OUT: a build elsewhere (a test builds a PostgreSQL source's report pages apart).
  output: process.env.RUNBOARD_BUILD_OUT ?? "dist",
  globalStylesheets: [],
  duckdb: { extensions: { json: null, parquet: null } },
  search: false,
  head: themeHead,
  // The alarm area, on every page (src/components/alarm-area.ts).
  header: '<div id="runboard-alarm-area"></div><script type="module" src="/components/alarm-area-entry.js"></script>',
  sidebar: true,
  pager: false,
  // Links end in .html, so a published review works on any static host (a plain file server does
  // not map /pages/runs to runs.html); the runboard server answers both forms.
  preserveExtension: true,
  footer: "runboard — live, shareable dashboards for experiments",
  // runboard's pages, then any notebook a physicist adds under src/pages/ (loaders/site-pages.ts).
  pages: arrangePages(readPages(join(dirname(fileURLToPath(import.meta.url)), "src"))),
  // A report page for every run of the build's snapshot (src/runs/[run].md, its data from the
  // loaders in src/data/runs/[run]/), written by \`runboard snapshot\` before \`observable build\`.
  dynamicPaths: reportRuns().map((run) => `/runs/${run}`),
};
