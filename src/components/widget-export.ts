// The numbers behind a widget, out of the page: Download CSV, Download Parquet and Inspect data
// give exactly the readings the widget shows (every reading, never the thinned points it draws),
// within its window and runs, each file headed by where they came from (source, observable,
// channels, runs, window, when the snapshot was taken). From the snapshot's files with
// DuckDB-WASM, plus the live readings newer than the snapshot the page holds; in a published
// review, from the review's own files.
import { type ObservableInfo, type RunInfo, runHolding } from "../core/catalog.js";
import type { Widget } from "../core/dashboard.js";
import type { TimeWindow } from "../core/time-window.js";
import { getDuckDB } from "./duckdb.js";
import type { ArrayReadingView, Snapshot } from "./run-data.js";
import { type ScalarRow, scalarReadings } from "./run-readings.js";
import type { ChannelGrid } from "../core/binning.js";
import type { SeriesBuffer } from "./series-buffer.js";

/** What an export reads: the snapshot and runs shown, the page's live tail, and the window. */
export interface ExportSource {
  snapshot: Snapshot;
  runs: readonly number[];
  runList: readonly RunInfo[];
  window: TimeWindow;
  info: (name: string) => ObservableInfo | undefined;
  buffer: (observable: string, channel: number) => SeriesBuffer | undefined;
  grid: (observable: string) => ChannelGrid | undefined;
  arrays: (observable: string, runs?: readonly number[]) => ArrayReadingView[] | undefined;
}

export interface ExportTable {
  /** Where the readings came from, as (name, value) lines. */
  provenance: [string, string][];
  columns: string[];
  rows: (string | number | null)[][];
}

const iso = (t: number) => new Date(t).toISOString();

/** The readings a widget shows, as one long table (a row per reading, or per array element). */
export async function widgetReadings(widget: Widget, source: ExportSource): Promise<ExportTable> {
  const first = widget.series[0]!;
  const info = source.info(first.observable);
  const provenance: [string, string][] = [
    ["widget", widget.title],
    ["source", source.snapshot.source],
    ["snapshot taken", source.snapshot.updatedAt],
    ["runs", [...source.runs].sort((a, b) => a - b).join(", ")],
    ["window", `${iso(source.window.from)} to ${iso(source.window.to)}`],
  ];
  if (widget.kind === "profile" || widget.kind === "image") {
    const readings = (source.arrays(first.observable, widget.runs) ?? []).slice(0, widget.kind === "image" ? 1 : undefined);
    provenance.push(
      ["observable", `${first.observable}${info?.unit ? ` (${info.unit})` : ""}`],
      ["readings", "the arrays drawn"],
    );
    return { provenance, ...arrayRows(first.observable, readings, widget.kind === "image") };
  }
  const rows: (string | number | null)[][] = [];
  const columns = ["run", "observable", "channel", "time", "t_ms", "value"];
  for (const { observable, channels } of readsOf(widget)) {
    const unit = source.info(observable)?.unit;
    provenance.push([
      "observable",
      `${observable}${unit ? ` (${unit})` : ""}, channels ${channels ? channels.join(", ") : "all"}`,
    ]);
    const read =
      widget.kind === "histogram"
        ? latestOfEachChannel(source, observable)
        : withLiveTail(
            source,
            observable,
            channels ?? [],
            await scalarReadings(source.snapshot, {
              runs: source.runs,
              observable,
              ...(channels ? { channels } : {}),
              window: source.window,
            }),
          );
    for (const r of read) rows.push([r.run, observable, r.channel, iso(r.t), r.t, r.value]);
  }
  if (widget.kind === "histogram")
    provenance.push(["readings", "the latest of each channel in the window (what the histogram bins)"]);
  return { provenance, columns, rows };
}

/** Which observables and channels a widget of scalars reads (undefined: every channel). */
function readsOf(widget: Widget): { observable: string; channels?: number[] }[] {
  if (widget.kind === "raster" || widget.kind === "histogram") return [{ observable: widget.series[0]!.observable }];
  const byObservable = new Map<string, number[]>();
  for (const s of widget.series)
    (byObservable.get(s.observable) ?? byObservable.set(s.observable, []).get(s.observable)!).push(s.channel);
  return [...byObservable].map(([observable, channels]) => ({ observable, channels }));
}

/** The reading a histogram bins for each channel: the latest in the window, as the page holds it. */
function latestOfEachChannel(source: ExportSource, observable: string): ScalarRow[] {
  const grid = source.grid(observable);
  if (!grid) return [];
  const rows: ScalarRow[] = [];
  for (let channel = 0; channel < grid.channels; channel++) {
    const [t, value] = [grid.latestT[channel]!, grid.latest[channel]!];
    if (Number.isFinite(t) && Number.isFinite(value)) rows.push({ run: runOf(source.runList, t), channel, t, value });
  }
  return rows;
}

const runOf = (runs: readonly RunInfo[], t: number) => runHolding(runs, t)?.id ?? 0;

/** The snapshot's readings, and after the newest of each channel the live ones the page holds. */
function withLiveTail(source: ExportSource, observable: string, channels: readonly number[], read: ScalarRow[]): ScalarRow[] {
  const out = [...read];
  for (const channel of channels) {
    const held = source.buffer(observable, channel)?.columns();
    if (!held) continue;
    const newest = read.reduce((m, r) => (r.channel === channel && r.t > m ? r.t : m), -Infinity);
    for (let i = 0; i < held.x.length; i++) {
      const t = held.x[i]!;
      if (t <= newest || t < source.window.from || t > source.window.to) continue;
      out.push({ run: runOf(source.runList, t), channel, t, value: held.y[i]! });
    }
  }
  return out.sort((a, b) => a.channel - b.channel || a.t - b.t);
}

/** Arrays in long form: a row per element, with its sample (1D) or row and column (2D). */
function arrayRows(observable: string, readings: readonly ArrayReadingView[], twoD: boolean) {
  const columns = ["run", "observable", "channel", "time", "t_ms", ...(twoD ? ["row", "column"] : ["sample"]), "value"];
  const rows: (string | number | null)[][] = [];
  for (const r of readings) {
    const head = [r.run, observable, r.channel, iso(r.t), r.t];
    if (twoD) (r.value as (number | null)[][]).forEach((line, i) => line.forEach((v, j) => rows.push([...head, i, j, v])));
    else (r.value as (number | null)[]).forEach((v, i) => rows.push([...head, i, v]));
  }
  return { columns, rows };
}

const csvCell = (v: string | number | null) =>
  v === null ? "" : typeof v === "number" ? String(v) : /[",\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v;

/** CSV with the provenance as leading "# name: value" lines. */
export function toCsv(table: ExportTable): string {
  const head = table.provenance.map(([k, v]) => `# ${k}: ${v.replaceAll("\n", " ")}`);
  const body = table.rows.map((row) => row.map(csvCell).join(","));
  return [...head, table.columns.join(","), ...body].join("\n") + "\n";
}

/** Parquet (ZSTD) through DuckDB-WASM; the provenance as constant columns beside the readings. */
export async function toParquet(table: ExportTable): Promise<Uint8Array<ArrayBuffer>> {
  const db = await getDuckDB();
  const stamp = `${Date.now()}-${Math.random().toString(36).slice(2)}`;
  const [csvName, outName] = [`export-${stamp}.csv`, `export-${stamp}.parquet`];
  const body = [table.columns.join(","), ...table.rows.map((row) => row.map(csvCell).join(","))].join("\n");
  await db.registerFileText(csvName, body);
  const conn = await db.connect();
  try {
    const types: Record<string, string> = {
      run: "INTEGER",
      observable: "VARCHAR",
      channel: "INTEGER",
      time: "VARCHAR",
      t_ms: "DOUBLE",
      sample: "INTEGER",
      row: "INTEGER",
      column: "INTEGER",
      value: "DOUBLE",
    };
    const spec = table.columns.map((c) => `'${c}': '${types[c] ?? "VARCHAR"}'`).join(", ");
    const extra = table.provenance.map(([k, v]) => `'${v.replaceAll("'", "''")}' AS "${k.replaceAll(" ", "_")}"`).join(", ");
    await conn.query(
      `COPY (SELECT * EXCLUDE (time), make_timestamp((t_ms * 1000)::BIGINT) AS time, ${extra}
               FROM read_csv('${csvName}', header = true, columns = {${spec}}))
         TO '${outName}' (FORMAT PARQUET, COMPRESSION ZSTD)`,
    );
    // A copy the page owns (a Blob takes an ArrayBuffer, not a view of DuckDB's memory).
    return new Uint8Array(await db.copyFileToBuffer(outName));
  } finally {
    await conn.close();
    await db.dropFile(csvName);
    await db.dropFile(outName);
  }
}

/** Hands the browser a file to save. */
export function download(name: string, bytes: BlobPart, type: string): void {
  const url = URL.createObjectURL(new Blob([bytes], { type }));
  const link = Object.assign(document.createElement("a"), { href: url, download: name });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** A file name for a widget's readings: its title, as letters, digits and dashes. */
export const exportName = (widget: Widget, ext: string) =>
  `${widget.title.replace(/[^A-Za-z0-9]+/g, "-").replace(/^-|-$/g, "") || "widget"}.${ext}`;
