// "Re-fetch runs": asks the server to read runs from the source again (POST
// /api/snapshots/refresh) and shows how far it got, then tells the page to read the new files.
import { ApiError, fetchRefreshProgress, refreshSnapshots } from "./api.js";
import { el, labelled } from "./dom.js";

export function refetchControl(options: { placeholder: () => string; onDone: () => void }): HTMLFormElement {
  const select = el("input", { type: "text", name: "refetch", maxLength: 200, placeholder: "runs:1000-1010" });
  const force = el("input", { type: "checkbox", name: "force" });
  const button = el("button", { type: "submit", textContent: "Re-fetch runs" });
  const progress = el("span", { className: "refetch-progress", role: "status" });
  const form = el(
    "form",
    { className: "refetch" },
    labelled("Runs to re-fetch", select),
    el("label", { className: "check" }, force, " even if unchanged"),
    button,
    progress,
  );
  select.addEventListener("focus", () => (select.placeholder = options.placeholder() || select.placeholder));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    button.disabled = true;
    progress.textContent = "Re-fetching…";
    // The server answers once it is done; meanwhile it says how many runs it has written.
    const poll = setInterval(async () => {
      const p = await fetchRefreshProgress().catch(() => undefined);
      if (p?.state === "running" && p.total > 0) progress.textContent = `Re-fetching: ${p.done} of ${p.total} run(s) written…`;
    }, 400);
    try {
      const outcome = await refreshSnapshots(select.value.trim(), force.checked);
      const failed = outcome.failed.length ? `; ${outcome.failed.length} failed: ${outcome.failed[0]!.message}` : "";
      progress.textContent =
        `Re-fetched in ${outcome.seconds.toFixed(1)} s: ${outcome.written.length} run(s) rewritten` +
        `${outcome.written.length ? ` (${outcome.written.join(", ")})` : ""}, ${outcome.unchanged.length} unchanged${failed}`;
      progress.classList.toggle("error", outcome.failed.length > 0);
      options.onDone();
    } catch (error) {
      progress.textContent = `Re-fetch failed: ${error instanceof ApiError ? error.message : String(error)}`;
      progress.classList.add("error");
    } finally {
      clearInterval(poll);
      button.disabled = false;
    }
  });
  return form;
}
