// The Admin CLI inside the image (package.json's ledger-admin runs the
// TypeScript sources; the image has only the compiled ones). It reads
// ADMIN_HOST, ADMIN_PORT and ADMIN_TOKEN from the container's environment:
//   docker compose exec jobs /nodejs/bin/node deploy/admin.mjs list
//   kubectl exec deploy/ledger-jobs -- /nodejs/bin/node deploy/admin.mjs start account_summaries --watch
const { main } = await import('../dist/src/grpc/admin-service-cli.js');
process.exitCode = await main(process.argv.slice(2));
