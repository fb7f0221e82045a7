// Playing a playlist on a wall screen with no click: /play/<id> opens the first step's dashboard
// in kiosk, and a dashboard opened as a step (`&playlist=<id>&step=<n>`) moves on to the next
// step after the playlist's interval. Each step is a fresh page, so a screen that plays for days
// starts each dashboard clean. The steps are read again at each move, so an edited playlist
// plays as edited; a server that does not answer leaves the step showing (live) and is asked
// again. → or n moves on now, Space pauses.
import { type PlaylistStep, stepAddress } from "../core/playlist.js";
import { ApiError, apiRead } from "./api.js";
import { el } from "./dom.js";
import { kioskMode } from "./kiosk.js";

interface PlaylistSteps {
  id: string;
  title: string;
  interval: number;
  steps: PlaylistStep[];
}

const readSteps = (id: string) => apiRead<PlaylistSteps>(`/api/playlists/${encodeURIComponent(id)}/steps`);

/** The /play/<id> page: straight to the first step. */
export async function startPlaylist(root: HTMLElement): Promise<void> {
  const id = decodeURIComponent(location.pathname.split("/").filter(Boolean).at(-1) ?? "");
  const say = (text: string) => root.replaceChildren(el("p", { className: "playlist-message" }, text));
  say("Opening the playlist…");
  for (;;) {
    try {
      const playlist = await readSteps(id);
      if (playlist.steps.length === 0) return say(`The playlist “${playlist.title}” has no dashboard you may view.`);
      location.replace(stepAddress(playlist.steps[0]!, id, 0, { fit: kioskMode().fit }));
      return;
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) return say(`No playlist ${id}.`);
      // The server is restarting, say: a wall screen waits and asks again.
      say(`Waiting for the server: ${error instanceof Error ? error.message : String(error)}`);
      await new Promise((resolve) => setTimeout(resolve, 5000));
    }
  }
}

/** Where a dashboard page is in a playlist, from its address (undefined: not a step). */
export function playlistPlace(search = location.search): { id: string; step: number } | undefined {
  const params = new URLSearchParams(search);
  const id = params.get("playlist");
  const step = Number(params.get("step"));
  return id && Number.isInteger(step) && step >= 0 ? { id, step } : undefined;
}

/** On a step's dashboard: "▶ title · 2/5 · next in 25 s" in `bar`, and the move to the next step. */
export function followPlaylist(bar: HTMLElement, place: { id: string; step: number }): void {
  const badge = el("span", { className: "playlist-badge" }, "▶ playlist");
  badge.setAttribute("role", "status");
  bar.append(badge);
  let playlist: PlaylistSteps | undefined;
  let nextAt = Number.POSITIVE_INFINITY;
  let paused = false;
  const move = async () => {
    try {
      const fresh = await readSteps(place.id);
      if (fresh.steps.length === 0) throw new Error("no steps");
      const next = (place.step + 1) % fresh.steps.length;
      location.replace(stepAddress(fresh.steps[next]!, place.id, next, { fit: kioskMode().fit }));
    } catch {
      nextAt = Date.now() + 5000; // asked again soon; the dashboard stays live meanwhile
    }
  };
  const show = () => {
    if (playlist) {
      const left = Math.max(0, Math.ceil((nextAt - Date.now()) / 1000));
      const where = `${(place.step % Math.max(1, playlist.steps.length)) + 1}/${playlist.steps.length}`;
      badge.textContent = `▶ ${playlist.title} · ${where} · ${paused ? "paused (Space plays)" : `next in ${left} s`}`;
    }
    if (!paused && Date.now() >= nextAt) {
      nextAt = Number.POSITIVE_INFINITY;
      void move();
    }
  };
  readSteps(place.id).then(
    (read) => ((playlist = read), (nextAt = Date.now() + read.interval * 1000), show()),
    () => ((nextAt = Date.now() + 5000), (badge.textContent = "▶ playlist (not reachable; trying again)")),
  );
  setInterval(show, 500);
  addEventListener("keydown", (event) => {
    if (event.key === "ArrowRight" || event.key === "n") void move();
    if (event.key === " ") {
      paused = !paused;
      event.preventDefault();
      show();
    }
  });
}
