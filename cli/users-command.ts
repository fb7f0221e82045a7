// `runboard users add|passwd|remove|list`: the accounts of RUNBOARD_AUTH=local (and the roles
// of proxy users). Passwords are read from standard input, never from the command line (where
// `ps` and the shell history would keep them). The accounts live in the shared store: with
// RUNBOARD_DASHBOARD_STORE=postgres the command writes PostgreSQL itself; with the embedded
// store, a running server owns the file, so the command asks that server (with the ingest
// token, which only whoever can read the data directory has).
import { parseArgs } from "node:util";
import { type Role, roleSchema, userName } from "../src/core/access.js";
import { loadConfig, sharedAuthUrl } from "../server/config.js";
import { AuthStore, duckdbAdapter, postgresAdapter } from "../server/auth/auth-store.js";
import { hashPassword, passwordProblem } from "../server/auth/passwords.js";
import { EmbeddedStore } from "../loaders/store/embedded-store.js";
import { ensureIngestToken } from "../server/tokens.js";
import { findRunningServer } from "../loaders/running-server.js";

export const USERS_USAGE = `Usage: runboard users <action> [options]

Actions:
  add <name> --role <role>   Add a user (role: viewer, editor or admin); the password is read
                             from standard input (local accounts; leave it empty for a user who
                             signs in through the proxy)
  passwd <name>              Set a user's password, read from standard input (ends the user's sessions)
  role <name> --role <role>  Change a user's role
  remove <name>              Remove a user (and end their sessions)
  list                       List users and roles

The store is the server's (RUNBOARD_DATA_DIR, or PostgreSQL with RUNBOARD_DASHBOARD_STORE=postgres
and DATABASE_URL); with a server running on the embedded store, the change goes through it.

Options:
  --role <role>   viewer, editor or admin
  -h, --help      Show this help

Exit status: 0 done, 1 refused (the name is taken, no such user), 2 bad command line.
`;

/** What the command does, wherever the accounts are. */
interface Accounts {
  add(name: string, role: Role, password: string | null): Promise<string | undefined>;
  change(name: string, change: { role?: Role; password?: string }): Promise<string | undefined>;
  remove(name: string): Promise<string | undefined>;
  list(): Promise<{ name: string; role: Role; hasPassword: boolean }[]>;
  close(): Promise<void>;
}

/** The first line of standard input (a password), without its newline. */
async function readStdinLine(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) {
    chunks.push(chunk as Buffer);
    if (Buffer.concat(chunks).includes(10)) break;
  }
  return Buffer.concat(chunks).toString("utf8").split(/\r?\n/)[0] ?? "";
}

function direct(store: AuthStore, onClose: () => Promise<void>): Accounts {
  const audit = (action: string, target: string, detail: Record<string, unknown> = {}) =>
    store.audit({ actor: "cli", action, target, detail });
  return {
    async add(name, role, password) {
      if (!(await store.addUser(name, role, password === null ? null : await hashPassword(password))))
        return `there is a user ${name}`;
      await audit("user.add", name, { role });
      return undefined;
    },
    async change(name, change) {
      const ok = await store.updateUser(name, {
        role: change.role,
        passwordHash: change.password === undefined ? undefined : await hashPassword(change.password),
      });
      if (!ok) return `no user ${name}`;
      await audit("user.change", name, {
        ...(change.role ? { role: change.role } : {}),
        password: change.password !== undefined,
      });
      return undefined;
    },
    async remove(name) {
      if (!(await store.removeUser(name))) return `no user ${name}`;
      await audit("user.remove", name);
      return undefined;
    },
    list: () => store.listUsers(),
    async close() {
      await store.close();
      await onClose();
    },
  };
}

/** Through a running server's admin API, as the ingest token (an admin). */
function viaServer(url: string, token: string): Accounts {
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${url}${path}`, {
      method,
      headers: { Authorization: `Bearer ${token}`, ...(body ? { "Content-Type": "application/json" } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const answer = (await res.json().catch(() => ({}))) as { error?: string; errors?: { field: string; message: string }[] };
    return { ok: res.ok, answer, message: res.ok ? undefined : (answer.errors?.[0]?.message ?? answer.error ?? res.statusText) };
  };
  return {
    add: async (name, role, password) =>
      (await call("POST", "/api/admin/users", { name, role, ...(password === null ? {} : { password }) })).message,
    change: async (name, change) => (await call("PATCH", `/api/admin/users/${encodeURIComponent(name)}`, change)).message,
    remove: async (name) => (await call("DELETE", `/api/admin/users/${encodeURIComponent(name)}`)).message,
    async list() {
      const { ok, answer, message } = await call("GET", "/api/admin/users");
      if (!ok) throw new Error(message);
      return (answer as { users: { name: string; role: Role; hasPassword: boolean }[] }).users;
    },
    close: async () => undefined,
  };
}

/** A data directory with no store has no accounts yet. */
const noAccounts = (): Accounts => ({
  add: async () => "no store",
  change: async () => "no store",
  remove: async () => "no store",
  list: async () => [],
  close: async () => undefined,
});

async function openAccounts(readOnly: boolean): Promise<Accounts> {
  const config = loadConfig();
  const shared = sharedAuthUrl(config);
  if (shared) {
    const { default: pg } = await import("pg");
    return direct(
      await AuthStore.open(postgresAdapter(new pg.Pool({ connectionString: shared, max: 1, connectionTimeoutMillis: 5000 }))),
      async () => undefined,
    );
  }
  const running = findRunningServer(config.dataDir);
  if (running) return viaServer(running.url, ensureIngestToken(config.dataDir, config.ingestToken).token);
  // Listing where there is no store yet: no users, and no empty store left behind.
  if (readOnly && !EmbeddedStore.exists(config.dataDir)) return noAccounts();
  const store = await EmbeddedStore.open(config.dataDir);
  return direct(await AuthStore.open(duckdbAdapter(await store.connect())), async () => store.close());
}

export async function usersCommand(
  argv: string[],
  out: (line: string) => void,
  err: (line: string) => void,
  readPassword: () => Promise<string> = readStdinLine,
): Promise<number> {
  let args;
  try {
    args = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { role: { type: "string" }, help: { type: "boolean", short: "h" } },
    });
  } catch (error) {
    err(`runboard users: ${(error as Error).message}\n\n${USERS_USAGE}`);
    return 2;
  }
  if (args.values.help) {
    out(USERS_USAGE);
    return 0;
  }
  const [action, name, ...extra] = args.positionals;
  const needsName = action === "add" || action === "passwd" || action === "remove" || action === "role";
  if (!action || !(needsName || action === "list") || (needsName && !name) || extra.length > 0 || (action === "list" && name)) {
    err(`runboard users: say add, passwd, role, remove or list (with a name where it needs one)\n\n${USERS_USAGE}`);
    return 2;
  }
  if (name !== undefined && !userName.safeParse(name).success) {
    err(`runboard users: name: ${userName.safeParse(name).error!.issues[0]!.message}`);
    return 2;
  }
  let role: Role | undefined;
  if (action === "add" || action === "role") {
    const parsed = roleSchema.safeParse(args.values.role);
    if (!parsed.success) {
      err(`runboard users: --role: say viewer, editor or admin`);
      return 2;
    }
    role = parsed.data;
  }
  let password: string | null = null;
  if (action === "add" || action === "passwd") {
    password = await readPassword();
    if (password === "" && action === "add") password = null; // a proxy user: no password
    const problem = password === null ? undefined : passwordProblem(password);
    if (problem || (action === "passwd" && password === null)) {
      err(`runboard users: password: ${problem ?? "give one on standard input"}`);
      return 2;
    }
  }
  let accounts: Accounts;
  try {
    accounts = await openAccounts(action === "list");
  } catch (error) {
    err(`runboard users: ${(error as Error).message}`);
    return 2;
  }
  try {
    return await runAction(accounts, { action, name, role, password }, out, err);
  } finally {
    await accounts.close();
  }
}

/** Does what the command line asked with the accounts; the exit status. */
async function runAction(
  accounts: Accounts,
  asked: { action: string; name: string | undefined; role: Role | undefined; password: string | null },
  out: (line: string) => void,
  err: (line: string) => void,
): Promise<number> {
  const { action, name, role, password } = asked;
  if (action === "list") {
    const users = await accounts.list();
    if (users.length === 0) out("no users yet: add one with runboard users add <name> --role admin");
    for (const u of users) out(`${u.name.padEnd(24)} ${u.role.padEnd(7)} ${u.hasPassword ? "password" : "no password (proxy)"}`);
    return 0;
  }
  const refused =
    action === "add"
      ? await accounts.add(name!, role!, password)
      : action === "passwd"
        ? await accounts.change(name!, { password: password! })
        : action === "role"
          ? await accounts.change(name!, { role })
          : await accounts.remove(name!);
  if (refused) {
    err(`runboard users ${action}: ${refused}`);
    return 1;
  }
  const said: Record<string, string> = {
    add: `added ${name} (${role})`,
    passwd: `set the password of ${name}; their sessions ended`,
    role: `${name} is now ${role}`,
    remove: `removed ${name}`,
  };
  out(said[action]!);
  return 0;
}
