#!/usr/bin/env node
// `npx runboard ...`: runs the TypeScript CLI through tsx (a dependency), so there is no
// separate compile step to forget.
import { register } from "tsx/esm/api";

register();
const { main } = await import("../cli/runboard.ts");
process.exitCode = await main(process.argv.slice(2));
