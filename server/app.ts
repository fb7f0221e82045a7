// The HTTP side of runboard, as a table of routes: each group is a router in a file of its own
// (ingest, auth, snapshots, dashboards, ownership, reviews, flags, the site), and this file only
// says in which order they are asked. Every body and query is validated in those handlers, at
// the edge; errors are JSON `{error, errors: [{field, message}]}`.
import type { IncomingMessage } from "node:http";
import express, { type Response, Router } from "express";
import type { EmbeddedStore } from "../loaders/store/embedded-store.js";
import type { Authenticator } from "./auth/authenticator.js";
import { fromOwnPage, publicAuthRoutes, signedIn, signedInAuthRoutes, who } from "./auth/auth-routes.js";
import type { TokenRegistry } from "./auth/token-registry.js";
import { dashboardRoutes } from "./dashboards/dashboard-routes.js";
import type { DashboardStore } from "./dashboards/dashboard-store.js";
import { flagRoutes } from "./flags/flag-routes.js";
import { alarmRoutes } from "./alarms/alarm-routes.js";
import { screenEntry, screenLimits } from "./auth/screen-routes.js";
import { playlistRoutes } from "./playlists/playlist-routes.js";
import type { PlaylistStore } from "./playlists/playlist-store.js";
import type { AlarmService } from "./alarms/alarm-service.js";
import type { AlarmStore } from "./alarms/alarm-store.js";
import type { FlagStore } from "./flags/flag-store.js";
import { fail } from "./http-fail.js";
import { errorAnswers } from "./http/error-answers.js";
import { ourHostsOnly, securityHeaders } from "./http/security-headers.js";
import { siteRoutes } from "./http/site-routes.js";
import type { Ingestor } from "./ingest/ingest.js";
import { ingestRoutes } from "./ingest/ingest-routes.js";
import { BodyPermits } from "./limits/body-permits.js";
import { ownershipRoutes } from "./ownership-routes.js";
import type { ReviewPublisher } from "./review-publisher.js";
import { reviewRoutes } from "./review-routes.js";
import type { SnapshotKeeper } from "./snapshots/snapshot-keeper.js";
import { snapshotRoutes } from "./snapshots/snapshot-routes.js";

export interface AppDeps {
  store: EmbeddedStore;
  dashboards: DashboardStore;
  distDir: string;
  /** A snapshot directory `runboard snapshot` keeps up to date; wins over the build's copy. */
  snapshotDir: string;
  /** Who is asking (RUNBOARD_AUTH), their sessions, and the audit log. */
  auth: Authenticator;
  /** What each write token may write (the ingest token, source tokens). */
  tokens: TokenRegistry;
  /** Stores and publishes ingested batches (the embedded store, or the replicas' shared log). */
  ingestor: Ingestor;
  isAllowedRequest: (req: IncomingMessage) => boolean;
  startedAt: number;
  /** The snapshots of the configured source and the store; also the catalog and runs pages see. */
  keeper: SnapshotKeeper;
  log: (line: string) => void;
  /** The child process that makes review archives. */
  publisher: ReviewPublisher;
  /** The site's offset from UTC for observing nights (RUNBOARD_NIGHT_UTC_OFFSET_MINUTES). */
  site?: { utcOffsetMinutes: number };
  /** Flags on runs, beside the dashboards. */
  flags: FlagStore;
  /** Open and refused connections (server/limits/connection-limits.ts), for /api/health. */
  connections?: () => { open: number; refused: number };
  /** Permits for bodies over 1 MB, shared with the websocket hub (default: the app's own). */
  bodyPermits?: BodyPermits;
  /** Dashboards offered as templates (default: the project's layouts/). */
  layoutsDir?: string;
  /** The alarms evaluated on this server, and where they are kept (absent: no alarm API). */
  alarms?: { service: AlarmService; store: AlarmStore };
  /** Playlists for wall screens (absent: no playlist API). */
  playlists?: PlaylistStore;
}

export function createApp(deps: AppDeps): express.Express {
  const app = express();
  app.disable("x-powered-by");
  app.use(securityHeaders, ourHostsOnly(deps.isAllowedRequest));
  const bodyPermits = deps.bodyPermits ?? new BodyPermits();
  app.use(healthRoute(deps));
  app.use(ingestRoutes({ ...deps, bodyPermits }));

  // Everything below needs to know who is asking (RUNBOARD_AUTH); the sign-in page does not.
  app.use(publicAuthRoutes(deps));
  app.use(screenEntry(deps.auth));
  app.use(signedIn(deps.auth));
  app.use(screenLimits);
  app.use(signedInAuthRoutes(deps));
  const tools = {
    writes: fromOwnPage(deps.auth),
    audit: (res: Response, action: string, target: string, detail: Record<string, unknown> = {}) =>
      deps.auth.store.audit({ actor: who(res).name, action, target, detail }),
    smallJson: express.json({ limit: "1mb" }),
  };
  app.use(readRoutes(deps));
  app.use(snapshotRoutes({ keeper: deps.keeper, ...tools }));
  app.use(dashboardRoutes({ dashboards: deps.dashboards, layoutsDir: deps.layoutsDir, ...tools }));
  app.use(ownershipRoutes({ store: deps.store, ingestor: deps.ingestor, ...tools }));
  const { dashboards, keeper, snapshotDir, distDir } = deps;
  app.use(reviewRoutes({ dashboards, keeper, snapshotDir, distDir, publisher: deps.publisher, log: deps.log, ...tools }));
  app.use(flagRoutes({ flags: deps.flags, runs: () => keeper.runs(), snapshotDir, ...tools }));
  if (deps.alarms) {
    const catalog = (name: string) => keeper.catalog().observables.find((o) => o.name === name);
    app.use(alarmRoutes({ alarms: deps.alarms.service, store: deps.alarms.store, catalog, ...tools }));
  }
  if (deps.playlists) app.use(playlistRoutes({ playlists: deps.playlists, dashboards: deps.dashboards, ...tools }));
  app.use("/api", (_req, res) => fail(res, 404, "no such API endpoint"));

  app.use(siteRoutes(deps));
  app.use(errorAnswers(deps.log));
  return app;
}

const memoryMb = () => {
  const m = process.memoryUsage();
  const mb = (bytes: number) => Math.round(bytes / 1e6);
  return { rss: mb(m.rss), jsHeap: mb(m.heapUsed), buffers: mb(m.arrayBuffers) };
};

/** `/api/health`, open to all (a load balancer asks it): what an operator watching a night wants to see level off. */
function healthRoute(deps: AppDeps): Router {
  return Router().get("/api/health", (_req, res) => {
    res.json({
      ok: true,
      lastSeq: deps.store.lastSeq(),
      runs: deps.keeper.runs().length,
      observables: deps.keeper.catalog().observables.length,
      dashboardStore: deps.dashboards.kind,
      uptimeSeconds: Math.round((Date.now() - deps.startedAt) / 1000),
      memory: memoryMb(),
      ...(deps.connections ? { connections: deps.connections() } : {}),
      // Open to all: counts only (a receiver's address or error stays in the server's log).
      ...(deps.alarms
        ? { alarmContacts: deps.alarms.service.contactStatus().map(({ lastError: _error, ...counts }) => counts) }
        : {}),
    });
  });
}

/** What every signed-in page reads: the catalog, the runs, the site's night offset. */
function readRoutes(deps: AppDeps): Router {
  const router = Router();
  router.get("/api/catalog", (_req, res) => res.json(deps.keeper.catalog()));
  router.get("/api/runs", (_req, res) => res.json({ runs: deps.keeper.runs() }));
  router.get("/api/site", (_req, res) => res.json({ utcOffsetMinutes: deps.site?.utcOffsetMinutes ?? 0 }));
  return router;
}
