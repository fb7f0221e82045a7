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
<script>try{if(localStorage.getItem(${JSON.stringify(THEME_KEY)})==="dark")document.documentElement.dataset.theme="dark"}catch(e){}</script>
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
