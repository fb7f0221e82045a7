// "Data of <widget>": the readings behind a widget in the page (Inspect data: where they came
// from, how many, the first rows as a table) with Download CSV and Download Parquet of all of
// them (widget-export.ts). Opened from the widget's Data button, in view and edit mode alike,
// and in a published review.
import type { Widget } from "../core/dashboard.js";
import { el } from "./dom.js";
import { type ExportSource, type ExportTable, download, exportName, toCsv, toParquet, widgetReadings } from "./widget-export.js";

/** Rows the in-page table shows; the downloads hold them all. */
const SHOWN_ROWS = 500;

export async function openDataDialog(widget: Widget, source: ExportSource | undefined): Promise<void> {
  const dialog = el("dialog", { className: "data-dialog runboard-editor" });
  dialog.setAttribute("aria-label", `Data of ${widget.title}`);
  const close = el("button", { type: "button", textContent: "Close" });
  const body = el("div", { className: "data-body" }, el("p", { role: "status", textContent: "Reading the readings…" }));
  dialog.append(el("div", { className: "data-head" }, el("h2", {}, `Data of ${widget.title}`), close), body);
  close.addEventListener("click", () => dialog.close());
  dialog.addEventListener("close", () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
  if (!source) return void body.replaceChildren(el("p", { role: "status" }, "No data read yet: wait for the widget to draw."));
  let table: ExportTable;
  try {
    table = await widgetReadings(widget, source);
  } catch (error) {
    return void body.replaceChildren(
      el("p", { role: "status", className: "error" }, `Could not read the readings: ${String(error)}`),
    );
  }
  body.replaceChildren(...dataParts(widget, table));
}

/** The provenance, the downloads and the first rows. */
function dataParts(widget: Widget, table: ExportTable): HTMLElement[] {
  const said = el("p", { role: "status" });
  const csv = el("button", { type: "button", textContent: "Download CSV" });
  csv.addEventListener("click", () => {
    download(exportName(widget, "csv"), toCsv(table), "text/csv");
    said.textContent = `Downloaded ${exportName(widget, "csv")}: ${table.rows.length} rows.`;
  });
  const parquet = el("button", { type: "button", textContent: "Download Parquet" });
  parquet.addEventListener("click", async () => {
    said.textContent = "Writing Parquet…";
    try {
      download(exportName(widget, "parquet"), await toParquet(table), "application/vnd.apache.parquet");
      said.textContent = `Downloaded ${exportName(widget, "parquet")}: ${table.rows.length} rows.`;
    } catch (error) {
      said.textContent = `Could not write Parquet: ${String(error)}`;
    }
  });
  const provenance = el("dl", { className: "data-provenance" });
  for (const [name, value] of table.provenance) provenance.append(el("dt", {}, name), el("dd", {}, value));
  const count = `${table.rows.length.toLocaleString("en")} readings${table.rows.length > SHOWN_ROWS ? `; the first ${SHOWN_ROWS} shown, the downloads hold all` : ""}`;
  const head = el("tr", {}, ...table.columns.map((c) => el("th", {}, c)));
  const rows = table.rows
    .slice(0, SHOWN_ROWS)
    .map((row) => el("tr", {}, ...row.map((v) => el("td", {}, v === null ? "" : String(v)))));
  const grid = el("table", { className: "data-table" }, el("thead", {}, head), el("tbody", {}, ...rows));
  grid.setAttribute("aria-label", `Readings of ${widget.title}`);
  return [
    provenance,
    el("p", { className: "data-count" }, count),
    el("div", { className: "data-actions" }, csv, parquet, said),
    el("div", { className: "data-scroll" }, grid),
  ];
}
