// Source tokens: a tokens file that is wrong stops the server with the field named; a token
// writes what its scope says and nothing else.
import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { loadSourceTokens, TokensFileError, writeScope } from "../../server/tokens.js";

const dir = mkdtempSync(join(tmpdir(), "runboard-tokens-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function fileWith(content: unknown, mode = 0o600): string {
  const file = join(dir, `tokens-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, typeof content === "string" ? content : JSON.stringify(content), { mode });
  return file;
}

const HALL_B = { name: "hall B DAQ", token: "b".repeat(32), sources: ["daq-hall-b", "daq-hall-b:spare"] };

describe("source tokens", () => {
  it("are read from the tokens file, none when there is no file", () => {
    assert.deepEqual(loadSourceTokens(join(dir, "absent.json")), []);
    assert.deepEqual(loadSourceTokens(fileWith({ version: 1, tokens: [HALL_B] })), [HALL_B]);
  });

  it("refuse a file others can read, as PostgreSQL refuses its key files", () => {
    for (const mode of [0o644, 0o640, 0o604]) {
      const file = fileWith({ version: 1, tokens: [HALL_B] }, mode);
      chmodSync(file, mode); // the umask may have taken bits off
      assert.throws(
        () => loadSourceTokens(file),
        (error: Error) =>
          error instanceof TokensFileError &&
          error.message.includes(`mode 0${mode.toString(8)}`) &&
          /chmod 600/.test(error.message),
      );
    }
    assert.deepEqual(loadSourceTokens(fileWith({ version: 1, tokens: [HALL_B] }, 0o400)), [HALL_B]);
  });

  it("refuse a wrong file, naming the file and the field", () => {
    const refused = (content: unknown) => {
      const file = fileWith(content);
      try {
        loadSourceTokens(file);
      } catch (error) {
        assert.ok(error instanceof TokensFileError);
        assert.ok(error.message.startsWith(file), error.message);
        return error.message.slice(file.length + 2);
      }
      return "(accepted)";
    };
    assert.match(refused("{"), /not valid JSON/);
    assert.match(refused({ version: 2, tokens: [] }), /^version/);
    assert.match(
      refused({ version: 1, tokens: [{ ...HALL_B, token: "short" }] }),
      /^tokens\[0\]\.token: must be at least 32 characters/,
    );
    assert.match(refused({ version: 1, tokens: [{ ...HALL_B, sources: ["hall b"] }] }), /^tokens\[0\]\.sources\[0\]: letters/);
    assert.match(
      refused({ version: 1, tokens: [HALL_B, { ...HALL_B, name: "copy" }] }),
      /tokens\[1\]\.token: the same token is listed twice/,
    );
  });

  it("give the ingest token everything, a source token its sources, anything else nothing", () => {
    const ingest = "i".repeat(32);
    assert.deepEqual(writeScope(ingest, ingest, [HALL_B]), { all: true });
    assert.deepEqual(writeScope(HALL_B.token, ingest, [HALL_B]), {
      all: false,
      name: "hall B DAQ",
      sources: HALL_B.sources,
    });
    assert.equal(writeScope("x".repeat(24), ingest, [HALL_B]), undefined);
    assert.equal(writeScope(undefined, ingest, [HALL_B]), undefined);
  });
});
