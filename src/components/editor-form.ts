// The editor's "Add a widget" form: an observable from the catalog, a chart type, a title and,
// for per-channel observables, a channel.
import type { ObservableInfo } from "../core/catalog.js";
import type { Widget, WidgetKind } from "../core/dashboard.js";
import { el, labelled } from "./dom.js";

const KIND_LABELS: Record<WidgetKind, string> = { timeseries: "Time series (line)", stat: "Single number" };

export function addWidgetForm(catalog: readonly (ObservableInfo & { origin?: string })[], onAdd: (widget: Widget) => void) {
  const infoByName = new Map(catalog.map((o) => [o.name, o]));
  const observableSelect = el("select", { name: "observable" });
  for (const o of catalog) {
    const detail = o.shape === "scalar" ? (o.channels > 1 ? `${o.channels} channels` : "scalar") : o.shape;
    const from = o.origin === "source" ? ", from the source" : "";
    const text = o.description ? `${o.name} — ${o.description} (${detail}${from})` : `${o.name} (${detail}${from})`;
    observableSelect.append(el("option", { value: o.name, textContent: text }));
  }
  const kindSelect = el("select", { name: "kind" });
  for (const [kind, text] of Object.entries(KIND_LABELS)) kindSelect.append(el("option", { value: kind, textContent: text }));
  const widgetTitle = el("input", { type: "text", name: "title", maxLength: 120, placeholder: "e.g. Trigger rate" });
  const channelInput = el("input", { type: "number", name: "channel", min: "0", value: "0", step: "1" });
  const channelField = labelled("Channel", channelInput);
  const addButton = el("button", { type: "submit", textContent: "Add widget" });
  const why = el("span", { className: "add-why" });
  const form = el(
    "form",
    { className: "add-widget" },
    el("strong", {}, "Add a widget"),
    labelled("Observable", observableSelect),
    labelled("Chart type", kindSelect),
    labelled("Widget title", widgetTitle),
    channelField,
    addButton,
    why,
  );
  const update = () => {
    const info = infoByName.get(observableSelect.value);
    channelField.hidden = !info || info.channels <= 1;
    const max = Math.max(0, (info?.channels ?? 1) - 1);
    channelInput.max = String(max);
    // A channel left from another observable would block the form (the browser checks even a
    // hidden field against its max): keep it within this one's channels.
    if (!(Number(channelInput.value) <= max)) channelInput.value = String(channelField.hidden ? 0 : max);
    // Only scalar observables can be drawn by the two chart types the editor offers today.
    addButton.disabled = info?.shape !== "scalar";
    why.textContent = addButton.disabled ? `${observableSelect.value} is ${info?.shape}: no chart type draws it yet` : "";
  };
  observableSelect.addEventListener("change", update);
  update();
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const info = infoByName.get(observableSelect.value);
    if (!info) return;
    const channel = Math.min(info.channels - 1, Math.max(0, Math.trunc(Number(channelInput.value) || 0)));
    onAdd({
      kind: kindSelect.value as WidgetKind,
      spec: { title: widgetTitle.value.trim() || info.name, observable: info.name, channel: info.channels > 1 ? channel : 0 },
    });
    widgetTitle.value = "";
  });
  return form;
}
