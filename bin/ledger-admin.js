#!/usr/bin/env node
// Entry for `npx ledger-admin`: registers tsx so the TypeScript sources run
// as they are (no build step), then runs the Admin CLI.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/grpc/admin-service-cli.ts');
process.exitCode = await main(process.argv.slice(2));
