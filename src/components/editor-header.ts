// The dashboard page's header and notices: the title and the editing actions (editor), or the
// title, Edit and the link (viewer); what the page says about what is open (view only, an old
// revision, a link, a template, a review); where a copy came from; and "Publish for review".
import type { Dashboard } from "../core/dashboard.js";
import { ApiError, publishReviewArchive, type Session } from "./api.js";
import { el } from "./dom.js";
import type { Opened } from "./editor-open.js";
import type { saveControls } from "./editor-save.js";
import { sessionBadge } from "./session-badge.js";
import { themeToggle } from "./theme.js";

/** A link to the other mode (Edit, View), kept pointing at the runs and time on screen. */
export interface ModeLink {
  link: HTMLAnchorElement;
  keep: Record<string, string>;
}

export interface HeaderParts {
  session: Session;
  review: boolean;
  editing: boolean;
  mayEdit: boolean;
  saved: { id: string; revision: number } | undefined;
  title: string;
  save: ReturnType<typeof saveControls>;
  link: HTMLElement;
  publish: HTMLElement | undefined;
  liveStatus: HTMLElement;
  modeLinks: ModeLink[];
}

export function headerRow(p: HeaderParts): HTMLElement {
  if (p.editing) {
    const viewLink = el("a", { className: "to-view", hidden: !p.saved }, "View");
    p.modeLinks.push({ link: viewLink, keep: {} });
    const { save } = p;
    return el(
      "div",
      { className: "editor-header" },
      ...[save.title, save.tags, save.message, save.saveButton, save.forkButton, p.link, save.exportButton, save.deleteButton],
      ...(p.publish ? [p.publish] : []),
      viewLink,
      themeToggle(),
      p.liveStatus,
      sessionBadge(p.session),
    );
  }
  const edit = p.mayEdit && p.saved ? el("a", { className: "edit button" }, "Edit") : "";
  if (edit) p.modeLinks.push({ link: edit, keep: { edit: "" } });
  // Anyone who may create dashboards may keep a copy of one they may only view.
  const copy = !p.mayEdit && p.saved && p.session.rights.includes("create-dashboard") ? p.save.forkButton : "";
  return el(
    "div",
    { className: "editor-header view-header" },
    el("h1", { className: "dashboard-title" }, p.title),
    edit,
    copy,
    ...(p.review ? [] : [p.link]),
    ...(p.publish && p.saved ? [p.publish] : []),
    themeToggle(),
    p.liveStatus,
    ...(p.review ? [] : [sessionBadge(p.session)]),
  );
}

const notice = (text: string, ...extra: (Node | string)[]) => el("p", { className: "view-only" }, text, ...extra);

/** What the page says about what is open. */
export function notices(opened: Opened, session: Session, review: boolean, mayEdit: boolean, saved: boolean): HTMLElement[] {
  const list: HTMLElement[] = [];
  if (!mayEdit && !review) {
    const owner = opened.access?.owner ? `, ${opened.access.owner},` : "";
    list.push(
      notice(
        saved
          ? `You may view this dashboard (you are a ${session.role}); ask its owner${owner} to share it with you as editor to change it.`
          : `You are a ${session.role}: you may view dashboards shared with you; an admin can make you an editor.`,
      ),
    );
  }
  if (opened.origin === "revision") {
    list.push(
      notice(
        `This is revision ${opened.saved!.revision} of this dashboard, as it was saved; the latest is revision ${opened.latest}. `,
        el("a", { href: `/d/${opened.saved!.id}` }, "Open the latest"),
        mayEdit ? " · restore it from the history below." : "",
      ),
    );
  }
  if (opened.origin === "link")
    list.push(notice("Opened from a link: this dashboard is not saved. Save makes it one of your dashboards."));
  if (opened.origin === "template") list.push(notice("A new dashboard from a template: it is not saved yet."));
  if (review)
    list.push(
      notice(
        "A published review: the data as it was when it was published, frozen, not live. ",
        el("a", { href: "../" }, "What this review holds"),
      ),
    );
  return list;
}

/** Where a copy came from (a review holds no other dashboard to link to). */
export function copiedFrom(dashboard: Dashboard, review: boolean): HTMLElement | "" {
  const origin = dashboard.forkedFrom;
  if (!origin) return "";
  const words = `"${origin.title}", revision ${origin.revision}`;
  return el(
    "p",
    { className: "forked-from" },
    "A copy of ",
    review ? words : el("a", { href: `/d/${origin.id}?revision=${origin.revision}` }, words),
    ".",
  );
}

/** "Publish for review": the runs on screen and this (saved) dashboard, as a folder to download. */
export function publishButton(
  what: () => { saved: { id: string } | undefined; runs: readonly number[] | undefined; title: string },
  status: (text: string, isError?: boolean) => void,
): HTMLButtonElement {
  const publish = el("button", { type: "button", className: "publish", textContent: "Publish for review" });
  publish.addEventListener("click", async () => {
    const { saved, runs: shown, title } = what();
    if (!saved || !shown) return status("Save the dashboard first; a review holds saved dashboards.", true);
    const runs = `runs:${Math.min(...shown)}-${Math.max(...shown)}`;
    publish.disabled = true;
    status(`Publishing ${runs} with this dashboard…`);
    try {
      const { blob, name } = await publishReviewArchive({ runs, dashboards: [saved.id], title: `${title}: ${runs}` });
      const url = URL.createObjectURL(blob);
      const download = el("a", { href: url, download: name });
      document.body.append(download);
      download.click();
      download.remove();
      setTimeout(() => URL.revokeObjectURL(url), 30_000);
      const mb = (blob.size / 1e6).toFixed(1);
      status(`Downloaded ${name} (${mb} MB): unpack it on any static host; its index.html says what is inside.`);
    } catch (error) {
      status(`Could not publish: ${error instanceof ApiError ? error.message : String(error)}`, true);
    } finally {
      publish.disabled = false;
    }
  });
  return publish;
}
