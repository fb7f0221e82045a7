// The runboard command line, `npx runboard <command>`: each command in a file of its own here.
// This folder is the top layer: it may use loaders/ (sources, snapshots) and server/ (the
// PostgreSQL trigger, users, the simulator's seeding); nothing imports it but bin/runboard.js.
import { publishCommand } from "./publish-command.js";
import { snapshotCommand } from "./snapshot-command.js";
import { usersCommand } from "./users-command.js";
import { watchCommand } from "./watch-command.js";

const USAGE = `Usage: runboard <command> [options]

Commands:
  snapshot    Write Parquet snapshots of runs from the configured source
  watch       Install (or remove) the PostgreSQL trigger that lets a server see new rows live
  users       Add, change, remove and list the users of RUNBOARD_AUTH=local (and proxy users' roles)
  publish     Write a frozen folder of chosen runs and dashboards for a review

Run "runboard <command> --help" for its options.
`;

export async function main(argv: string[], out: (line: string) => void = console.log, err = console.error): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === "-h" || command === "--help" || command === "help") {
    out(USAGE);
    return command === undefined ? 2 : 0;
  }
  if (command === "watch") return watchCommand(rest, out, err);
  if (command === "users") return usersCommand(rest, out, err);
  // Publishing brings the chosen runs' snapshot up to date first, as `snapshot` does (quietly).
  if (command === "publish") return publishCommand(rest, out, err, (args) => snapshotCommand(args, () => undefined, err));
  if (command !== "snapshot") {
    err(`runboard: unknown command ${JSON.stringify(command)}\n\n${USAGE}`);
    return 2;
  }
  return snapshotCommand(rest, out, err);
}
