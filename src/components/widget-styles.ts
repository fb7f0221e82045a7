// What a widget's drawing looks like (its numbers, tables, raster and image controls), and the run
// and time controls, shared by the dashboard page and the widgets and inputs a notebook draws as
// cells: put in the page once, scoped to
// .runboard-editor. The dashboard page's own frame (the grid, headers, forms) stays in its page.
const WIDGET_CSS = `
.runboard-editor .widget-caption { margin: 0; padding: 0 0.5rem 0.2rem; font-size: 0.75rem; color: var(--theme-foreground-muted); white-space: nowrap; overflow: hidden; text-overflow: ellipsis; max-width: none; }
.runboard-editor .widget-empty { font-size: 0.8rem; color: var(--theme-foreground-muted); }
.runboard-editor .chart-note { font-size: 0.75rem; color: var(--theme-foreground-muted); }
.runboard-editor .stat { text-align: center; padding-top: 0.25rem; }
.runboard-editor .stat-line { display: flex; justify-content: center; align-items: baseline; gap: 0.3rem; flex-wrap: wrap; }
.runboard-editor .stat-value { font-size: 2.2rem; font-weight: 600; line-height: 1.1; }
.runboard-editor .stat[data-health="below"] .stat-value, .runboard-editor .stat[data-health="above"] .stat-value, .runboard-editor .stat-alarm-text { color: #dc2626; }
.runboard-editor .stat-stale .stat-value { color: var(--theme-foreground-faint); text-decoration: line-through; }
.runboard-editor .stat-stale-text { color: #b45309; font-size: 0.8rem; font-weight: 600; }
.runboard-editor .stat-time { font-size: 0.8rem; color: var(--theme-foreground-muted); }
.runboard-editor .stat-spark { color: var(--theme-foreground); display: block; margin: 0.25rem auto 0; }
.runboard-editor .value-table { font-size: 0.85rem; width: 100%; max-width: none; }
.runboard-editor .value-table td, .runboard-editor .value-table th { padding: 0.1rem 0.4rem; }
.runboard-editor .value-table td { white-space: nowrap; }
.runboard-editor .value-table-wrap { overflow-x: auto; max-width: 100%; }
.runboard-editor .value-cell { font-variant-numeric: tabular-nums; text-align: right; font-weight: 600; }
.runboard-editor .value-cell[data-health="ok"] { background: color-mix(in srgb, #16a34a 18%, transparent); }
.runboard-editor .value-cell[data-health="below"], .runboard-editor .value-cell[data-health="above"] { background: color-mix(in srgb, #dc2626 30%, transparent); }
.runboard-editor .value-cell[data-health="missing"] { color: var(--theme-foreground-faint); }
.runboard-editor .value-age { color: var(--theme-foreground-muted); font-size: 0.75rem; }
.data-dialog { max-width: min(90vw, 1100px); width: 90vw; max-height: 85vh; padding: 0.8rem 1rem; }
.data-dialog .data-head { display: flex; justify-content: space-between; align-items: center; gap: 1rem; }
.data-dialog .data-head h2 { margin: 0; font-size: 1.1rem; }
.data-dialog .data-provenance { display: grid; grid-template-columns: max-content 1fr; gap: 0.1rem 0.8rem; font-size: 0.8rem; margin: 0.5rem 0; }
.data-dialog .data-provenance dt { color: var(--theme-foreground-muted); }
.data-dialog .data-provenance dd { margin: 0; }
.data-dialog .data-actions { display: flex; gap: 0.5rem; align-items: center; flex-wrap: wrap; }
.data-dialog .data-scroll { max-height: 50vh; overflow: auto; margin-top: 0.5rem; }
.data-dialog .data-table { font-size: 0.78rem; font-variant-numeric: tabular-nums; max-width: none; }
.data-dialog .data-table td, .data-dialog .data-table th { padding: 0.05rem 0.4rem; white-space: nowrap; }
.runboard-editor .chart-host { position: relative; touch-action: pan-y; }
.runboard-editor .chart-host:focus-visible { outline: 2px solid var(--theme-foreground-focus); outline-offset: -2px; }
.runboard-editor .chart-crosshair { position: absolute; width: 0; border-left: 1px dashed var(--theme-foreground-muted); pointer-events: none; }
.runboard-editor .chart-tip { position: absolute; z-index: 5; pointer-events: none; background: var(--theme-background); color: var(--theme-foreground); border: 1px solid var(--theme-foreground-faint); border-radius: 4px; padding: 2px 6px; font-size: 0.75rem; line-height: 1.3; font-variant-numeric: tabular-nums; max-width: calc(100% - 4px); box-sizing: border-box; overflow-wrap: anywhere; box-shadow: 0 1px 4px rgb(0 0 0 / 25%); }
.runboard-editor .raster-zoom { top: 0; bottom: 0; }
.runboard-editor .chart-zoom-selection { position: absolute; background: color-mix(in srgb, var(--theme-foreground-focus) 20%, transparent); border: 1px solid var(--theme-foreground-focus); pointer-events: none; }
.runboard-editor .raster { display: flex; flex-direction: column; height: 100%; }
.runboard-editor .raster-empty .raster-body, .runboard-editor .raster-empty .raster-times, .runboard-editor .image-empty .image-body { visibility: hidden; }
.runboard-editor .raster-controls, .runboard-editor .image-controls { display: flex; gap: 0.5rem; align-items: end; font-size: 0.8rem; flex-wrap: wrap; }
.runboard-editor .raster-controls input { width: 5rem; }
.runboard-editor .raster-flagged { color: var(--theme-foreground-muted); }
.runboard-editor .raster-body { display: flex; gap: 0.25rem; }
.runboard-editor .raster-axis { display: flex; flex-direction: column; justify-content: space-between; font-size: 0.7rem; color: var(--theme-foreground-muted); width: 52px; text-align: right; }
.runboard-editor .raster-frame { position: relative; flex: 1; }
.runboard-editor .raster-clip { width: 100%; height: 100%; overflow: hidden; }
.runboard-editor .raster-canvas { width: 100%; height: 100%; image-rendering: pixelated; cursor: crosshair; display: block; transform-origin: 0 0; }
.runboard-editor .raster-marker { position: absolute; left: -6px; right: 0; height: 0; border-top: 2px solid #f59e0b; pointer-events: none; }
/* The highlighted channel's group (a module of pixels): at least a few pixels tall, however few rows it gets. */
.runboard-editor .raster-group { position: absolute; left: -6px; right: 0; min-height: 5px; transform: translateY(-1px); border-left: 4px solid #f59e0b; background: rgba(245, 158, 11, 0.18); pointer-events: none; }
.runboard-editor .raster-group-text { font-size: 0.75rem; color: var(--theme-foreground-muted); }
.runboard-editor .raster-flags { position: relative; width: 10px; }
.runboard-editor .raster-flag { position: absolute; left: 0; width: 10px; height: 10px; margin-top: -5px; padding: 0; border: none; border-radius: 2px; cursor: pointer; }
.runboard-editor .raster-times { display: flex; justify-content: space-between; font-size: 0.7rem; color: var(--theme-foreground-muted); margin: 0 14px 0 56px; white-space: nowrap; gap: 0.5rem; }
.runboard-editor .image-body { display: flex; gap: 0.4rem; align-items: flex-start; }
.runboard-editor .image-canvas { image-rendering: pixelated; cursor: crosshair; }
.runboard-editor .color-bar-box { display: flex; flex-direction: column; align-items: flex-start; gap: 2px; font-size: 0.7rem; color: var(--theme-foreground-muted); min-width: 3.2rem; }
.runboard-editor .color-bar { width: 12px; flex: 1 1 0; min-height: 16px; image-rendering: pixelated; }
.runboard-editor .color-bar-label { white-space: nowrap; font-variant-numeric: tabular-nums; }
.runboard-editor .color-bar-keys { display: flex; flex-direction: column; gap: 1px; }
.runboard-editor .color-bar-short .color-bar-keys { display: none; }
.runboard-editor .color-bar-key { display: flex; align-items: center; gap: 3px; white-space: nowrap; }
.runboard-editor .color-bar-swatch { width: 8px; height: 8px; border-radius: 1px; display: inline-block; }
.runboard-editor .image-readout { font-size: 0.8rem; font-variant-numeric: tabular-nums; }
.runboard-editor.notebook-widget { margin: 0.5rem 0 1rem; max-width: none; }
.runboard-editor .time-bar { display: flex; flex-wrap: wrap; gap: 0.25rem 0.75rem; align-items: end; margin: 0.5rem 0; padding: 0.4rem 0.5rem; border: 1px solid var(--theme-foreground-faintest); border-radius: 6px; background: var(--theme-background-alt); font-size: 0.85rem; }
.runboard-editor .time-group { display: inline-flex; gap: 0.3rem; align-items: end; }
.runboard-editor .time-inputs { display: inline-flex; gap: 0.3rem; align-items: center; }
.runboard-editor .time-inputs[hidden] { display: none; }
.runboard-editor .run-number { width: 6rem; }
.runboard-editor .time-shown { flex-basis: 100%; color: var(--theme-foreground-muted); }
.runboard-editor .time-problem { color: #dc2626; }
.runboard-editor .time-problem:empty { display: none; }
.runboard-editor .widget[data-alarm="major"], .runboard-editor .widget[data-alarm="invalid"] { border: 3px solid #dc2626; }
.runboard-editor .widget[data-alarm="minor"] { border: 3px solid #d97706; }
.runboard-editor .widget-alarm-mark { font-size: 0.75rem; font-weight: 700; white-space: nowrap; padding: 0 0.3rem; color: #dc2626; }
.runboard-editor .widget[data-alarm="minor"] .widget-alarm-mark { color: #b45309; }
:root[data-theme="dark"] .runboard-editor .widget-alarm-mark { color: #f87171; }
:root[data-theme="dark"] .runboard-editor .widget[data-alarm="minor"] .widget-alarm-mark { color: #fbbf24; }
.runboard-editor .widget-alarms { height: 100%; overflow: auto; font-size: 0.8rem; container-type: inline-size; }
/* A narrow alarm table keeps the latched severity, the channel and the value: "Now" and "At" go. */
@container (max-width: 360px) { .runboard-editor .widget-alarms td:nth-child(2), .runboard-editor .widget-alarms td:nth-child(5) { display: none; } }
.runboard-editor .widget-alarms table { width: 100%; max-width: none; font-size: 0.8rem; }
.runboard-editor .widget-alarms td { vertical-align: top; padding: 0.1rem 0.3rem; }
/* Small: no section titles or column heads (marks and words say it); the acknowledged dimmed. */
.runboard-editor .widget-alarms h3, .runboard-editor .widget-alarms thead { display: none; }
.runboard-editor .widget-alarms .alarm-section-acknowledged { opacity: 0.65; }
.runboard-editor .widget-alarms .alarm-severity, .runboard-editor .widget-alarms .alarm-current, .runboard-editor .widget-alarms .alarm-value, .runboard-editor .widget-alarms .alarm-time { white-space: nowrap; }
.runboard-editor .widget-alarms .severity-major, .runboard-editor .widget-alarms .severity-invalid { color: #dc2626; font-weight: 600; }
.runboard-editor .widget-alarms .severity-minor { color: #b45309; font-weight: 600; }
:root[data-theme="dark"] .runboard-editor .widget-alarms .severity-major, :root[data-theme="dark"] .runboard-editor .widget-alarms .severity-invalid { color: #f87171; }
:root[data-theme="dark"] .runboard-editor .widget-alarms .severity-minor { color: #fbbf24; }
.runboard-editor .widget-alarms .alarm-path { display: none; }
.runboard-editor .widget-alarms .alarm-none { color: var(--theme-foreground-muted); margin: 0.3rem; }
.runboard-editor .widget-alarms-link { font-size: 0.75rem; margin-left: 0.3rem; }
`;

let added = false;

/** Puts the widgets' style sheet in the page (once). */
export function ensureWidgetStyles(doc: Document = document): void {
  if (added || doc.getElementById("runboard-widget-styles")) return;
  const style = doc.createElement("style");
  style.id = "runboard-widget-styles";
  style.textContent = WIDGET_CSS;
  doc.head.append(style);
  added = true;
}
