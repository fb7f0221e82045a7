// Wall screens: `?kiosk` shows a dashboard (or the alarm page) alone, without sidebar, header,
// editor or controls; `&fit` sizes the widgets so every one is on the screen with no scroll bar.
// A kiosk keeps the display awake (Screen Wake Lock, asked again whenever the browser drops it),
// says when its data were last confirmed current ("updated hh:mm:ss", red once older than twice
// the refresh), and Escape leaves it. The site's head marks the page before it paints
// (observablehq.config.ts), so a wall screen never flashes the sidebar.
import { el } from "./dom.js";

export interface KioskMode {
  kiosk: boolean;
  fit: boolean;
}

export function kioskMode(search = location.search): KioskMode {
  const params = new URLSearchParams(search);
  return { kiosk: params.has("kiosk"), fit: params.has("kiosk") && params.has("fit") };
}

/** The same address without kiosk and fit (what Escape opens). */
export function withoutKiosk(href: string): string {
  const url = new URL(href);
  url.searchParams.delete("kiosk");
  url.searchParams.delete("fit");
  return url.toString();
}

/** Keeps the screen on while the page is visible; the browser drops the lock when it is hidden. */
export function keepAwake(): void {
  const wakeLock = (navigator as Navigator & { wakeLock?: { request(type: "screen"): Promise<EventTarget> } }).wakeLock;
  if (!wakeLock) return;
  let held = false;
  const ask = async () => {
    if (held || document.visibilityState !== "visible") return;
    try {
      const lock = await wakeLock.request("screen");
      held = true;
      lock.addEventListener("release", () => {
        held = false;
        // Released by the browser (a tab hidden, power saving): asked again once visible.
        setTimeout(() => void ask(), 1000);
      });
    } catch {
      // Refused (no permission, a battery saver): the next visibility change asks again.
    }
  };
  document.addEventListener("visibilitychange", () => void ask());
  void ask();
}

/** Marks the page as a kiosk, and lets Escape leave it. */
export function enterKiosk(): void {
  document.documentElement.classList.add("kiosk");
  document.body.classList.add("kiosk");
  addEventListener("keydown", (event) => {
    if (event.key === "Escape" && !document.querySelector("dialog[open]")) location.assign(withoutKiosk(location.href));
  });
  keepAwake();
}

const clock = (ms: number) => {
  const d = new Date(ms);
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, "0")).join(":");
};

/**
 * "updated hh:mm:ss": when the page's data were last confirmed current, red (and said so) once
 * that is longer ago than twice `refreshMs`.
 */
export function freshnessBadge(refreshMs: () => number): { element: HTMLElement; updated: (at: number) => void } {
  const element = el("span", { className: "kiosk-updated" }, "waiting for data…");
  element.setAttribute("role", "status");
  let at = 0;
  const show = () => {
    if (at === 0) return;
    const stale = Date.now() - at > 2 * refreshMs();
    element.textContent = `updated ${clock(at)}${stale ? " — data are late" : ""}`;
    element.dataset.stale = String(stale);
  };
  setInterval(show, 1000);
  return {
    element,
    updated: (when) => {
      at = when;
      show();
    },
  };
}
