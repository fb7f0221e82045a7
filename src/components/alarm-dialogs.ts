// The small forms an operator fills to act on an alarm: a comment to acknowledge, a duration and
// a reason to shelve (the durations a shift uses), a reason to disable. Each resolves to what was
// entered, or null when cancelled.
import { type PageAlarm, alarmName, alarmValueText } from "../core/alarm-news.js";
import { el, labelled } from "./dom.js";

/** Shelving durations as a shift uses them; null: until the alarm is back to normal (one-shot). */
export const SHELVE_CHOICES: readonly { value: string | null; text: string }[] = [
  { value: "1h", text: "1 hour" },
  { value: "6h", text: "6 hours" },
  { value: "12h", text: "12 hours" },
  { value: "1d", text: "1 day" },
  { value: "7d", text: "7 days" },
  { value: null, text: "until it is back to normal" },
];

/** A modal form with `fields`; resolves with the form's data on OK, null on Cancel or Escape. */
function ask(title: string, alarm: PageAlarm, fields: HTMLElement[], ok: string): Promise<FormData | null> {
  const form = el("form", { method: "dialog", className: "alarm-dialog-form" });
  const buttons = el(
    "div",
    { className: "settings-buttons" },
    el("button", { type: "submit", value: "ok", className: "primary" }, ok),
    el("button", { type: "submit", value: "cancel", formNoValidate: true }, "Cancel"),
  );
  form.append(
    el("h3", {}, title),
    el("p", {}, `${alarmName(alarm)} — ${alarm.severity}, ${alarmValueText(alarm)}`),
    ...fields,
    buttons,
  );
  const dialog = el("dialog", { className: "settings-dialog alarm-dialog" }, form);
  document.body.append(dialog);
  dialog.showModal();
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => {
      const data = dialog.returnValue === "ok" ? new FormData(form) : null;
      dialog.remove();
      resolve(data);
    });
  });
}

export async function askAcknowledge(alarm: PageAlarm): Promise<{ comment: string } | null> {
  const comment = el("input", { name: "comment", maxLength: 1000, placeholder: "what you saw or did (optional)" });
  const data = await ask("Acknowledge alarm", alarm, [labelled("Comment", comment)], "Acknowledge");
  return data && { comment: String(data.get("comment") ?? "") };
}

export async function askShelve(alarm: PageAlarm): Promise<{ duration: string | null; reason: string } | null> {
  const choices = el("fieldset", {}, el("legend", {}, "Shelve for"));
  SHELVE_CHOICES.forEach((choice, i) => {
    const radio = el("input", { type: "radio", name: "duration", value: choice.value ?? "", checked: i === 0 });
    choices.append(el("label", { className: "alarm-choice" }, radio, ` ${choice.text}`));
  });
  const reason = el("input", { name: "reason", required: true, maxLength: 1000, placeholder: "why (required)" });
  const data = await ask("Shelve alarm", alarm, [choices, labelled("Reason", reason)], "Shelve");
  return data && { duration: String(data.get("duration") ?? "") || null, reason: String(data.get("reason") ?? "") };
}

export async function askDisable(alarm: PageAlarm): Promise<{ reason: string } | null> {
  const reason = el("input", { name: "reason", required: true, maxLength: 1000, placeholder: "why (required)" });
  const note = el("p", { className: "alarm-dialog-note" }, "A disabled alarm is not evaluated until someone enables it again.");
  const data = await ask("Disable alarm", alarm, [note, labelled("Reason", reason)], "Disable");
  return data && { reason: String(data.get("reason") ?? "") };
}
