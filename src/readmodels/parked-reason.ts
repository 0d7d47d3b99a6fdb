/**
 * The reason a parked message records is the only text a consumer can leave
 * in the group's parked stream (the real server writes no delivery count),
 * so the projector writes its attempts there in one fixed form, and
 * `ledger-admin list` reads them back (issue 14).
 */
export const parkedReason = (attempts: number, reason: string): string => `parked after ${attempts} deliveries: ${reason}`;

/**
 * Deliveries before parking, from a parked stream's reason: the projector's
 * own form, or the server's "Reached retry count of N" (N redeliveries after
 * the first delivery). Undefined when the text says neither.
 */
export function attemptsOfParkedReason(reason: string): number | undefined {
  const ours = /parked after (\d+) deliveries:/.exec(reason);
  if (ours?.[1] !== undefined) return Number(ours[1]);
  const servers = /Reached retry count of (\d+)/.exec(reason);
  if (servers?.[1] !== undefined) return Number(servers[1]) + 1;
  return undefined;
}
