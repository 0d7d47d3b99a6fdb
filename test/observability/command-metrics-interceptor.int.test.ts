import {
  Server, ServerCredentials, status, makeGenericClientConstructor, credentials,
  type ServiceDefinition, type ServiceError, type handleUnaryCall, type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { commandMetricsInterceptor, createMetrics, type LedgerMetrics } from '../../src/observability/index.js';

// A real grpc-js server with the interceptor installed; the service is a
// stand-in with the public API's paths, answering raw bytes: byte 0 means
// OK, any other value is returned as that gRPC status code.
const raw = { serialize: (b: Buffer): Buffer => b, deserialize: (b: Buffer): Buffer => b };
const method = (path: string) => ({
  path, requestStream: false, responseStream: false,
  requestSerialize: raw.serialize, requestDeserialize: raw.deserialize,
  responseSerialize: raw.serialize, responseDeserialize: raw.deserialize,
});
const definition: ServiceDefinition = {
  Deposit: method('/ledger.v1.AccountCommands/Deposit'),
  Withdraw: method('/ledger.v1.AccountCommands/Withdraw'),
  GetAccount: method('/ledger.v1.AccountQueries/GetAccount'),
};
const answerAsAsked: handleUnaryCall<Buffer, Buffer> = (call, callback) => {
  const code = call.request[0] ?? 0;
  if (code === 0) callback(null, Buffer.alloc(0));
  else callback({ code, details: 'as asked' });
};

let server: Server;
let metrics: LedgerMetrics;
let client: InstanceType<ReturnType<typeof makeGenericClientConstructor>>;

beforeAll(async () => {
  metrics = createMetrics(new Registry());
  server = new Server({ interceptors: [commandMetricsInterceptor(metrics)] });
  const impl: UntypedServiceImplementation = { Deposit: answerAsAsked, Withdraw: answerAsAsked, GetAccount: answerAsAsked };
  server.addService(definition, impl);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))));
  client = new (makeGenericClientConstructor(definition, 'Stand-in'))(`127.0.0.1:${port}`, credentials.createInsecure());
});
afterAll(() => { client.close(); server.forceShutdown(); });

const call = (name: 'Deposit' | 'Withdraw' | 'GetAccount', code: number): Promise<number> =>
  new Promise((resolve) => {
    const fn = client[name] as (req: Buffer, cb: (err: ServiceError | null) => void) => void;
    fn.call(client, Buffer.from([code]), (err) => resolve(err?.code ?? status.OK));
  });

const count = async (type: string, outcome: string): Promise<number> => {
  const metric = await metrics.registry.getSingleMetric('ledger_commands_total')?.get();
  return metric?.values.find((v) => v.labels.type === type && v.labels.outcome === outcome)?.value ?? 0;
};

describe('commands are counted by type and outcome from the status actually sent', () => {
  test('given answers OK, INVALID_ARGUMENT, FAILED_PRECONDITION, ABORTED, then each lands in its outcome', async () => {
    expect(await call('Deposit', 0)).toBe(status.OK);
    await call('Deposit', 0);
    expect(await call('Deposit', status.INVALID_ARGUMENT)).toBe(status.INVALID_ARGUMENT);
    await call('Withdraw', status.FAILED_PRECONDITION);
    await call('Withdraw', status.ABORTED);
    await call('Withdraw', status.INTERNAL);
    expect(await count('Deposit', 'ok')).toBe(2);
    expect(await count('Deposit', 'invalid')).toBe(1);
    expect(await count('Withdraw', 'failed_precondition')).toBe(1);
    expect(await count('Withdraw', 'aborted')).toBe(1);
    expect(await count('Withdraw', 'internal')).toBe(1);
    const latency = await metrics.registry.getSingleMetric('ledger_command_duration_seconds')?.get();
    const depositOk = latency?.values.find((v) => 'metricName' in v && v.metricName === 'ledger_command_duration_seconds_count'
      && v.labels.type === 'Deposit' && v.labels.outcome === 'ok');
    expect(depositOk?.value).toBe(2);
  });

  test('calls to other services are not counted as commands', async () => {
    await call('GetAccount', 0);
    expect(await count('GetAccount', 'ok')).toBe(0);
  });
});
