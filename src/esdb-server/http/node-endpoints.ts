import * as http from 'node:http';
import type { GossipMember } from '../gossip.js';
import { SERVER_VERSION } from '../server-features.js';
import { dotnetUtc, type Epoch } from '../store/epoch.js';

/** What `/info` and `/gossip` report besides gossip's member. */
export interface NodeFacts {
  readonly member: () => GossipMember;
  readonly epoch: Epoch;
  /** The log's end (gossip's writer and chaser checkpoints, last commit). */
  readonly headPosition: () => bigint;
  /** The real node's `projections` feature: on when it runs projections (here, the standard ones). */
  readonly projections: boolean;
  /** Secure mode: the internal authentication provider (users); insecure: none. */
  readonly secure: boolean;
}

const json = (res: http.ServerResponse, head: boolean, body: unknown): void => {
  const text = JSON.stringify(body);
  res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(head ? undefined : text);
};

/**
 * The HTTP endpoints ops tooling calls on a 23.10 node, with its response
 * shapes (its Newtonsoft codec: camelCase names, enums by name, .NET dates):
 * `/health/live`, `/ping`, `/info`, `/gossip`. Everything else is 404; a
 * method other than GET or HEAD on them is 405. All are anonymous, as there.
 */
export const createNodeHttpServer = (facts: NodeFacts): http.Server =>
  http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const route = ROUTES[path ?? ''];
    if (route === undefined) {
      res.writeHead(404, { 'content-length': 0 }).end();
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-length': 0 }).end();
      return;
    }
    route(res, req.method === 'HEAD', facts);
  });

type Route = (res: http.ServerResponse, head: boolean, facts: NodeFacts) => void;

const ROUTES: Readonly<Record<string, Route>> = {
  // 23.10 maps /health/live to 204 No Content while the node is up.
  '/health/live': (res) => {
    res.writeHead(204).end();
  },
  // PingController: a TextMessage.
  '/ping': (res, head) => json(res, head, { text: 'Ping request successfully handled' }),
  // InfoController.OnGetInfo.
  '/info': (res, head, facts) =>
    json(res, head, {
      esVersion: SERVER_VERSION,
      state: facts.member().state.toLowerCase(),
      features: { projections: facts.projections, userManagement: facts.secure, atomPub: false },
      authentication: { type: facts.secure ? 'internal' : 'insecure', properties: {} },
    }),
  // GossipController: ClientClusterInfo of the same member gRPC gossip reports.
  '/gossip': (res, head, facts) => json(res, head, clientClusterInfo(facts)),
};

const clientClusterInfo = (facts: NodeFacts): unknown => {
  const m = facts.member();
  const head = Number(facts.headPosition());
  return {
    members: [
      {
        instanceId: m.instanceId,
        timeStamp: dotnetUtc(m.timeStamp),
        state: m.state,
        isAlive: m.isAlive,
        // No TCP interface here (the real node's is off by default in 23.10): ports 0.
        internalTcpIp: m.bound.host,
        internalTcpPort: 0,
        internalSecureTcpPort: 0,
        externalTcpIp: m.advertised.host,
        externalTcpPort: 0,
        externalSecureTcpPort: 0,
        internalHttpEndPointIp: m.bound.host,
        internalHttpEndPointPort: m.bound.port,
        httpEndPointIp: m.advertised.host,
        httpEndPointPort: m.advertised.port,
        lastCommitPosition: head,
        writerCheckpoint: head,
        chaserCheckpoint: head,
        epochPosition: facts.epoch.epochPosition,
        epochNumber: facts.epoch.epochNumber,
        epochId: facts.epoch.epochId,
        nodePriority: 0,
        isReadOnlyReplica: false,
        esVersion: SERVER_VERSION,
      },
    ],
    serverIp: m.advertised.host,
    serverPort: m.advertised.port,
  };
};
