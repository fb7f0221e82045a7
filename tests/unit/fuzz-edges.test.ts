// Property-based tests of every parser at the edge that needs no server: config files, the
// tokens file, the server's environment, dashboards, ingest batches (JSON and binary) and
// websocket messages. Thousands of generated inputs each: every one is accepted or refused with
// errors that name a field, and none throws anything else.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import fc from "fast-check";
import { ConfigError as RunboardConfigError, loadConfig as loadRunboardConfig } from "../../loaders/config.js";
import { ConfigError, loadConfig } from "../../server/config.js";
import { loadSourceTokens, TokensFileError } from "../../server/tokens.js";
import { emptyDashboard, parseDashboard } from "../../src/core/dashboard.js";
import { type TimeChoice, timeFromQuery } from "../../src/core/dashboard-time.js";
import { decodeDashboardLink } from "../../src/core/dashboard-link.js";
import { newFlagSchema } from "../../src/core/flags.js";
import { fieldErrors } from "../../src/core/validation.js";
import { ingestBatchSchema } from "../../src/core/ingest.js";
import { decodeBinaryBatch } from "../../src/core/ingest-binary.js";
import { rawBinaryBody } from "../support/binary-body.js";
import { clientMessageSchema } from "../../src/core/live-protocol.js";
import { dashboardAccessSchema } from "../../src/core/access.js";

const dir = mkdtempSync(join(tmpdir(), "runboard-fuzz-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const RUNS = 2000;

/** JSON values, with the odd shapes senders get wrong: deep, wide, huge and tiny numbers. */
const jsonish = fc.oneof(
  { weight: 4, arbitrary: fc.jsonValue({ maxDepth: 6 }) },
  { weight: 1, arbitrary: fc.constantFrom(1e20, -1e20, 2 ** 31, 2 ** 53, -0, 0.1, Number.MAX_VALUE, "", "😀", null) },
);

/** An object shaped like `template`, each field kept, dropped or replaced by anything. */
function mutated(template: Record<string, unknown>): fc.Arbitrary<unknown> {
  const fields = Object.fromEntries(
    Object.entries(template).map(([key, value]) => [key, fc.oneof(fc.constant(value), jsonish, fc.constant(undefined))]),
  );
  return fc.record(fields).map((r) => Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined)));
}

const fieldsNamed = (errors: { field: string; message: string }[]) =>
  errors.length > 0 && errors.every((e) => typeof e.field === "string" && e.field.length > 0 && e.message.length > 0);

describe("fuzzing the edges", () => {
  it("ingest batches: every input is parsed or refused naming a field", () => {
    const reading = { observable: "trigger.rate", run: 1, t: Date.UTC(2026, 10, 1), value: 3 };
    const batch = fc.record({
      source: fc.oneof(fc.constant("daq-1"), jsonish),
      sequence: fc.oneof(fc.nat(), jsonish),
      runs: fc.array(mutated({ id: 1, start: Date.UTC(2026, 10, 1), stop: null, meta: { a: 1 } }), { maxLength: 3 }),
      readings: fc.array(mutated(reading), { maxLength: 5 }),
    });
    fc.assert(
      fc.property(fc.oneof(batch, jsonish), (body) => {
        const parsed = ingestBatchSchema.safeParse(body);
        if (!parsed.success) assert.ok(parsed.error.issues.length > 0);
      }),
      { numRuns: RUNS },
    );
  });

  it("binary batches: any bytes after the magic are decoded or refused naming a part, within the data's size", () => {
    const reference = fc.record({
      offset: fc.oneof(fc.nat(4096), fc.integer(), jsonish),
      shape: fc.oneof(fc.array(fc.integer({ min: -2, max: 70_000 }), { maxLength: 3 }), jsonish),
    });
    const header = fc.record({
      source: fc.constant("daq"),
      readings: fc.array(
        fc.record({ observable: fc.constant("x"), run: fc.constant(1), t: fc.constant(1), value: fc.oneof(reference, jsonish) }),
        { maxLength: 50 },
      ),
    });
    const body = fc
      .tuple(header, fc.nat(512), fc.boolean(), fc.uint8Array({ maxLength: 64 }))
      .map(([h, dataBytes, lie, noise]) => {
        const headerBytes = new TextEncoder().encode(JSON.stringify(h)).length;
        const bytes = rawBinaryBody(h, {
          dataBytes: dataBytes + noise.length,
          declaredHeaderBytes: lie ? headerBytes + noise.length * 1000 : headerBytes,
        });
        bytes.set(noise, bytes.length - noise.length);
        return bytes;
      });
    fc.assert(
      fc.property(fc.oneof(body, fc.uint8Array({ maxLength: 256 })), (bytes) => {
        const decoded = decodeBinaryBatch(bytes);
        if (!decoded.ok) return assert.ok(fieldsNamed(decoded.errors), JSON.stringify(decoded.errors));
        // What it made is no bigger than the data it came with.
        const numbers = JSON.stringify(decoded.batch).length;
        assert.ok(numbers < 64 * bytes.length + 10_000, `${numbers} characters from ${bytes.length} bytes`);
      }),
      { numRuns: RUNS },
    );
  });

  it("dashboards and their sharing: parsed, migrated or refused naming the field", () => {
    const widget = mutated({ kind: "timeseries", title: "t", series: [{ observable: "trigger.rate", channel: 0 }] });
    const dashboard = fc.record({
      schemaVersion: fc.oneof(fc.constantFrom(1, 2, 3), jsonish),
      title: fc.oneof(fc.string(), jsonish),
      elements: fc.oneof(fc.dictionary(fc.string({ maxLength: 8 }), widget, { maxKeys: 4 }), jsonish),
      layout: fc.oneof(
        fc.record({ items: fc.array(mutated({ element: "a", x: 0, y: 0, w: 6, h: 4 }), { maxLength: 4 }) }),
        jsonish,
      ),
    });
    fc.assert(
      fc.property(fc.oneof(dashboard, jsonish), (doc) => {
        const parsed = parseDashboard(doc);
        if (!parsed.ok) assert.ok(fieldsNamed(parsed.errors), JSON.stringify(parsed.errors));
      }),
      { numRuns: RUNS },
    );
    fc.assert(
      fc.property(fc.oneof(mutated({ owner: "eve", site: "viewer", users: { ed: "editor" } }), jsonish), (access) => {
        const parsed = dashboardAccessSchema.safeParse(access);
        if (!parsed.success) assert.ok(parsed.error.issues.length > 0);
      }),
      { numRuns: RUNS },
    );
  });

  it("flags, the address's run and time choice, and links: accepted or refused naming the field", async () => {
    fc.assert(
      fc.property(
        fc.oneof(mutated({ verdict: "bad", note: "HV trip", from: 1_796_000_000_000, to: 1_796_000_060_000 }), jsonish),
        (body) => {
          const parsed = newFlagSchema.safeParse(body);
          if (!parsed.success) assert.ok(fieldsNamed(fieldErrors(parsed.error)));
        },
      ),
      { numRuns: RUNS },
    );
    const defaults: TimeChoice = {
      runSelection: { mode: "latest" },
      window: { kind: "relative", seconds: 3600 },
      refreshSeconds: 0,
    };
    const param = fc.oneof(
      fc.string({ maxLength: 40 }),
      fc.constantFrom("latest", "12-3", "last0", "night:2026-02-30", "8d", "a/b", "off"),
    );
    fc.assert(
      fc.property(param, param, param, (run, window, refresh) => {
        const { choice, errors } = timeFromQuery(new URLSearchParams({ run, window, refresh }), defaults);
        assert.ok(errors.every((e) => ["run", "window", "refresh"].includes(e.field) && e.message.length > 0));
        // Whatever was accepted is a valid dashboard default.
        assert.ok(parseDashboard({ ...emptyDashboard(), ...choice }).ok);
      }),
      { numRuns: RUNS },
    );
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string({ maxLength: 200 }),
          fc.string({ maxLength: 200 }).map((t) => `v1.${t}`),
        ),
        async (fragment) => {
          const parsed = await decodeDashboardLink(fragment);
          if (!parsed.ok) assert.ok(fieldsNamed(parsed.errors));
        },
      ),
      { numRuns: 500 },
    );
  });

  it("websocket messages: parsed or refused", () => {
    const subscribe = mutated({
      type: "subscribe",
      observables: ["trigger.rate"],
      since: 0,
      channels: { "trigger.rate": [0] },
      run: "newest",
    });
    fc.assert(
      fc.property(
        fc.oneof(subscribe, mutated({ type: "publish", id: 1, batch: {} }), mutated({ type: "auth", token: "x" }), jsonish),
        (message) => {
          const parsed = clientMessageSchema.safeParse(message);
          if (!parsed.success) assert.ok(parsed.error.issues.length > 0);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it("config files, the tokens file and the environment: loaded or refused with their own error", () => {
    let n = 0;
    const config = mutated({
      version: 1,
      source: { kind: "postgres", url: "postgres://x/y" },
      snapshot: { out: "var/s", select: "last:7d" },
    });
    fc.assert(
      fc.property(fc.oneof(config, jsonish), fc.boolean(), (content, asText) => {
        const file = join(dir, `config-${n++}.json`);
        writeFileSync(file, asText && typeof content === "string" ? content : (JSON.stringify(content) ?? ""));
        try {
          loadRunboardConfig(file);
        } catch (error) {
          assert.ok(error instanceof RunboardConfigError, String(error));
        }
      }),
      { numRuns: RUNS },
    );
    const tokens = mutated({ version: 1, tokens: [{ name: "hall B", token: "b".repeat(32), sources: ["daq-b"] }] });
    fc.assert(
      fc.property(fc.oneof(tokens, jsonish), (content) => {
        const file = join(dir, `tokens-${n++}.json`);
        writeFileSync(file, JSON.stringify(content) ?? "", { mode: 0o600 });
        try {
          loadSourceTokens(file);
        } catch (error) {
          assert.ok(error instanceof TokensFileError, String(error));
        }
      }),
      { numRuns: RUNS },
    );
    const names = [
      "HOST",
      "PORT",
      "RUNBOARD_AUTH",
      "RUNBOARD_PROXY_ADDRESSES",
      "RUNBOARD_ADMINS",
      "RUNBOARD_TIME_EARLIEST",
      "RUNBOARD_REPLAY_MB",
      "RUNBOARD_ALLOWED_ORIGINS",
      "RUNBOARD_SESSION_HOURS",
      "RUNBOARD_INGEST_TOKEN",
    ];
    fc.assert(
      fc.property(
        fc.dictionary(
          fc.constantFrom(...names),
          fc.oneof(fc.string({ maxLength: 40 }), fc.constantFrom("0.0.0.0", "proxy", "local", "::1", "-1", "1e400")),
        ),
        (env) => {
          try {
            loadConfig(env);
          } catch (error) {
            assert.ok(error instanceof ConfigError, String(error));
            assert.match(error.message, /^invalid configuration: /);
          }
        },
      ),
      { numRuns: RUNS },
    );
  });
});
