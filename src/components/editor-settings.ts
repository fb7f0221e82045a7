// A widget's settings panel (a modal dialog): title, series, thresholds that override the
// catalog's healthy range, the y scale and the options of its kind. Apply validates the whole
// widget as the server will and names the field of any problem; nothing changes until it passes.
import { KIND_RULES, type Widget, widgetSchema } from "../core/dashboard.js";
import { describeErrors, fieldErrors } from "../core/validation.js";
import { formatSeriesList, parseSeriesList, widgetProblem } from "../core/widget-kinds.js";
import type { ObservableInfo } from "../core/catalog.js";
import { el, labelled } from "./dom.js";

const num = (input: HTMLInputElement) => (input.value.trim() === "" ? undefined : Number(input.value));

function numberInput(name: string, value: number | undefined, step = "any") {
  return el("input", { type: "number", name, step, value: value === undefined ? "" : String(value) });
}

/** Where a widget sits (a tab's top, a row) and where else it may go, for its settings. */
export interface WidgetPlace {
  options: { value: string; label: string }[];
  current: string;
  move: (value: string) => void;
}

export function openWidgetSettings(
  widget: Widget,
  info: (name: string) => ObservableInfo | undefined,
  apply: (next: Widget) => void,
  place?: WidgetPlace,
): HTMLDialogElement {
  const inputs = settingsInputs(widget, info);
  const problem = el("p", { className: "settings-problem", role: "alert" });
  const applyButton = el("button", { type: "submit", textContent: "Apply" });
  const cancel = el("button", { type: "button", textContent: "Cancel" });
  // With rows or tabs: where the widget sits, to move it to another.
  const where = el("select", { name: "place" });
  for (const o of place?.options ?? []) where.append(el("option", { value: o.value, textContent: o.label }));
  if (place) where.value = place.current;
  const form = el(
    "form",
    { method: "dialog", className: "widget-settings" },
    el("h2", {}, `Settings: ${widget.title}`),
    ...settingsFields(widget, inputs),
    ...(place && place.options.length > 1 ? [labelled("Place in", where)] : []),
    problem,
    el("div", { className: "settings-buttons" }, applyButton, cancel),
  );
  const dialog = el("dialog", { className: "settings-dialog" }, form);
  dialog.setAttribute("aria-label", `Settings of ${widget.title}`);
  form.addEventListener("submit", (event) => {
    const { next, error } = readSettings(widget, inputs, info);
    if (!next) {
      event.preventDefault();
      problem.textContent = `Cannot apply: ${error}`;
      return;
    }
    apply(next);
    if (place && where.value !== place.current) place.move(where.value);
  });
  cancel.addEventListener("click", () => dialog.close());
  dialog.addEventListener("close", () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
  return dialog;
}

function choice(name: string, modes: readonly string[], value: string): HTMLSelectElement {
  const select = el("select", { name });
  for (const mode of modes) select.append(el("option", { value: mode, textContent: mode }));
  select.value = value;
  return select;
}

/** The panel's inputs, filled from the widget (thresholds show the catalog's range as placeholders). */
function settingsInputs(widget: Widget, info: (name: string) => ObservableInfo | undefined) {
  const healthy = info(widget.series[0]!.observable)?.healthy;
  const low = numberInput("thresholdMin", widget.thresholds?.min);
  const high = numberInput("thresholdMax", widget.thresholds?.max);
  low.placeholder = healthy ? String(healthy.min) : "";
  high.placeholder = healthy ? String(healthy.max) : "";
  const fixed = widget.yScale?.mode === "fixed" ? widget.yScale : undefined;
  return {
    title: el("input", { type: "text", name: "title", value: widget.title, maxLength: 120 }),
    series: el("input", { type: "text", name: "series", value: formatSeriesList(widget.series), size: 40 }),
    low,
    high,
    scale: choice("yScale", ["auto", "fixed", "log"], widget.yScale?.mode ?? "auto"),
    yMin: numberInput("yMin", fixed?.min),
    yMax: numberInput("yMax", fixed?.max),
    stale: numberInput("staleSeconds", widget.staleSeconds, "1"),
    highlight: numberInput("highlight", widget.highlight, "1"),
    bins: numberInput("bins", widget.bins, "1"),
    previous: numberInput("previous", widget.previous, "1"),
    runs: el("input", { type: "text", name: "runs", value: widget.runs?.join(", ") ?? "", placeholder: "e.g. 1203, 1207" }),
    colorScale: choice("colorScale", ["linear", "log"], widget.colorScale ?? "linear"),
    colorBy: choice("colorBy", ["time", "run"], widget.colorBy ?? "time"),
  };
}
type SettingsInputs = ReturnType<typeof settingsInputs>;

/** The labelled fields the widget's kind has. */
function settingsFields(widget: Widget, i: SettingsInputs): HTMLElement[] {
  const options = KIND_RULES[widget.kind].options;
  const legend = "Thresholds (blank: the catalog's healthy range)";
  const fields: HTMLElement[] = [
    labelled("Title", i.title),
    labelled(widget.kind === "xy" ? "Series (x, then y)" : "Series", i.series),
    el("fieldset", {}, el("legend", {}, legend), labelled("Lowest healthy", i.low), labelled("Highest healthy", i.high)),
  ];
  if (options.includes("yScale"))
    fields.push(
      el(
        "fieldset",
        {},
        el("legend", {}, "Y scale"),
        labelled("Y scale", i.scale),
        labelled("Y from", i.yMin),
        labelled("Y to", i.yMax),
      ),
    );
  if (options.includes("staleSeconds")) fields.push(labelled("Stale after (s)", i.stale));
  if (options.includes("highlight")) fields.push(labelled("Highlight channel", i.highlight));
  if (options.includes("bins")) fields.push(labelled("Bins", i.bins));
  if (options.includes("previous")) fields.push(labelled("Earlier readings faded", i.previous), labelled("Overlay runs", i.runs));
  if (options.includes("colorScale")) fields.push(labelled("Colour scale", i.colorScale));
  if (options.includes("colorBy")) fields.push(labelled("Colour by", i.colorBy));
  return fields;
}

/** The widget the panel describes, checked as the server will; or what is wrong, naming the field. */
function readSettings(
  widget: Widget,
  i: SettingsInputs,
  info: (name: string) => ObservableInfo | undefined,
): { next?: Widget; error?: string } {
  const options: readonly string[] = KIND_RULES[widget.kind].options;
  const parsedSeries = parseSeriesList(i.series.value);
  if (!parsedSeries.ok) return { error: `series: ${parsedSeries.error}` };
  const candidate: Record<string, unknown> = { kind: widget.kind, title: i.title.value, series: parsedSeries.value };
  const min = num(i.low);
  const max = num(i.high);
  if ((min === undefined) !== (max === undefined))
    return { error: "thresholds: give both the lowest and the highest, or neither" };
  if (min !== undefined) candidate.thresholds = { min, max };
  if (options.includes("yScale"))
    candidate.yScale =
      i.scale.value === "fixed" ? { mode: "fixed", min: num(i.yMin), max: num(i.yMax) } : { mode: i.scale.value };
  const optional = (name: string, input: HTMLInputElement) => {
    if (options.includes(name) && num(input) !== undefined) candidate[name] = num(input);
  };
  optional("staleSeconds", i.stale);
  optional("highlight", i.highlight);
  optional("bins", i.bins);
  optional("previous", i.previous);
  if (options.includes("runs") && i.runs.value.trim())
    candidate.runs = i.runs.value
      .split(/[\s,]+/)
      .filter(Boolean)
      .map(Number);
  if (options.includes("colorScale")) candidate.colorScale = i.colorScale.value;
  if (options.includes("colorBy")) candidate.colorBy = i.colorBy.value;
  const checked = widgetSchema.safeParse(candidate);
  if (!checked.success) return { error: describeErrors(fieldErrors(checked.error)) };
  const unfit = widgetProblem(checked.data, info);
  return unfit ? { error: `series: ${unfit}` } : { next: checked.data };
}
