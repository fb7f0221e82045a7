// Observable Framework config. Everything here must keep the build offline:
// no web fonts, no DuckDB extensions fetched at run time (see scripts/seed-framework-cache.ts).
export default {
  title: "runboard",
  root: "src",
  output: "dist",
  globalStylesheets: [],
  duckdb: { extensions: { json: null, parquet: null } },
  search: false,
  sidebar: true,
  pager: false,
  footer: "runboard — live, shareable dashboards for experiments",
  pages: [
    { name: "Overview", path: "/" },
    { name: "Runs", path: "/pages/runs" },
    { name: "Dashboard editor", path: "/pages/dashboard" },
  ],
};
