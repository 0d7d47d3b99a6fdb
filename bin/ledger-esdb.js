#!/usr/bin/env node
// Entry for `npx ledger-esdb`: registers tsx so the TypeScript sources run
// as they are (no build step), then starts the embedded EventStoreDB server.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/esdb-server/cli.ts');
await main(process.argv.slice(2));
