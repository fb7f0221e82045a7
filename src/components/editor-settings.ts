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

export function openWidgetSettings(
  widget: Widget,
  info: (name: string) => ObservableInfo | undefined,
  apply: (next: Widget) => void,
): HTMLDialogElement {
  const options = KIND_RULES[widget.kind].options;
  const title = el("input", { type: "text", name: "title", value: widget.title, maxLength: 120 });
  const series = el("input", { type: "text", name: "series", value: formatSeriesList(widget.series), size: 40 });
  const healthy = info(widget.series[0]!.observable)?.healthy;
  const low = numberInput("thresholdMin", widget.thresholds?.min);
  const high = numberInput("thresholdMax", widget.thresholds?.max);
  low.placeholder = healthy ? String(healthy.min) : "";
  high.placeholder = healthy ? String(healthy.max) : "";
  const scale = el("select", { name: "yScale" });
  for (const mode of ["auto", "fixed", "log"]) scale.append(el("option", { value: mode, textContent: mode }));
  scale.value = widget.yScale?.mode ?? "auto";
  const yMin = numberInput("yMin", widget.yScale?.mode === "fixed" ? widget.yScale.min : undefined);
  const yMax = numberInput("yMax", widget.yScale?.mode === "fixed" ? widget.yScale.max : undefined);
  const stale = numberInput("staleSeconds", widget.staleSeconds, "1");
  const highlight = numberInput("highlight", widget.highlight, "1");
  const bins = numberInput("bins", widget.bins, "1");
  const previous = numberInput("previous", widget.previous, "1");
  const runs = el("input", { type: "text", name: "runs", value: widget.runs?.join(", ") ?? "", placeholder: "e.g. 1203, 1207" });
  const colorScale = el("select", { name: "colorScale" });
  for (const mode of ["linear", "log"]) colorScale.append(el("option", { value: mode, textContent: mode }));
  colorScale.value = widget.colorScale ?? "linear";
  const colorBy = el("select", { name: "colorBy" });
  for (const mode of ["time", "run"]) colorBy.append(el("option", { value: mode, textContent: mode }));
  colorBy.value = widget.colorBy ?? "time";

  const problem = el("p", { className: "settings-problem", role: "alert" });
  const applyButton = el("button", { type: "submit", textContent: "Apply" });
  const cancel = el("button", { type: "button", textContent: "Cancel" });
  const fields: HTMLElement[] = [
    labelled("Title", title),
    labelled(widget.kind === "xy" ? "Series (x, then y)" : "Series", series),
    el(
      "fieldset",
      {},
      el("legend", {}, "Thresholds (blank: the catalog's healthy range)"),
      labelled("Lowest healthy", low),
      labelled("Highest healthy", high),
    ),
  ];
  if (options.includes("yScale"))
    fields.push(
      el(
        "fieldset",
        {},
        el("legend", {}, "Y scale"),
        labelled("Y scale", scale),
        labelled("Y from", yMin),
        labelled("Y to", yMax),
      ),
    );
  if (options.includes("staleSeconds")) fields.push(labelled("Stale after (s)", stale));
  if (options.includes("highlight")) fields.push(labelled("Highlight channel", highlight));
  if (options.includes("bins")) fields.push(labelled("Bins", bins));
  if (options.includes("previous")) fields.push(labelled("Earlier readings faded", previous), labelled("Overlay runs", runs));
  if (options.includes("colorScale")) fields.push(labelled("Colour scale", colorScale));
  if (options.includes("colorBy")) fields.push(labelled("Colour by", colorBy));

  const form = el(
    "form",
    { method: "dialog", className: "widget-settings" },
    el("h2", {}, `Settings: ${widget.title}`),
    ...fields,
    problem,
    el("div", { className: "settings-buttons" }, applyButton, cancel),
  );
  const dialog = el("dialog", { className: "settings-dialog" }, form);
  dialog.setAttribute("aria-label", `Settings of ${widget.title}`);

  const read = (): { next?: Widget; error?: string } => {
    const parsedSeries = parseSeriesList(series.value);
    if (!parsedSeries.ok) return { error: `series: ${parsedSeries.error}` };
    const candidate: Record<string, unknown> = { kind: widget.kind, title: title.value, series: parsedSeries.value };
    const min = num(low);
    const max = num(high);
    if ((min === undefined) !== (max === undefined))
      return { error: "thresholds: give both the lowest and the highest, or neither" };
    if (min !== undefined) candidate.thresholds = { min, max };
    if (options.includes("yScale"))
      candidate.yScale = scale.value === "fixed" ? { mode: "fixed", min: num(yMin), max: num(yMax) } : { mode: scale.value };
    const optional = (name: string, input: HTMLInputElement) => {
      if (options.includes(name) && num(input) !== undefined) candidate[name] = num(input);
    };
    optional("staleSeconds", stale);
    optional("highlight", highlight);
    optional("bins", bins);
    optional("previous", previous);
    if (options.includes("runs") && runs.value.trim())
      candidate.runs = runs.value
        .split(/[\s,]+/)
        .filter(Boolean)
        .map(Number);
    if (options.includes("colorScale")) candidate.colorScale = colorScale.value;
    if (options.includes("colorBy")) candidate.colorBy = colorBy.value;
    const checked = widgetSchema.safeParse(candidate);
    if (!checked.success) return { error: describeErrors(fieldErrors(checked.error)) };
    const unfit = widgetProblem(checked.data, info);
    return unfit ? { error: `series: ${unfit}` } : { next: checked.data };
  };

  form.addEventListener("submit", (event) => {
    const { next, error } = read();
    if (!next) {
      event.preventDefault();
      problem.textContent = `Cannot apply: ${error}`;
      return;
    }
    apply(next);
  });
  cancel.addEventListener("click", () => dialog.close());
  dialog.addEventListener("close", () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
  return dialog;
}
