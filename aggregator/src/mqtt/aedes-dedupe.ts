/**
 * A fix for aedes's per-client dedupe, which loses messages (moscajs/aedes#955 and #994, open).
 *
 * aedes numbers every publish (`brokerCounter`) when the publish starts, and before it hands
 * a message to a client it drops it unless its number is above the highest one that client
 * already got (lib/client.js `dedupe()`). The check is there because one message can match
 * two overlapping subscriptions of a client (`presence/+` and `presence/#`). But a message
 * does not reach the clients in numbering order: a retained publish first waits for its
 * LevelDB write (`storeRetained`), so a plain publish that starts just after it (a push
 * batch) reaches the clients first. Then the retained message is dropped for every client
 * that already got the batch. The aggregator's own client subscribes to presence and push
 * both, so it lost agents' `online` presences, and discovery never saw those agents. The
 * broker only sends retained messages again on a new SUBSCRIBE, so nothing repaired it. An
 * ack to an agent can be lost the same way, and is repaired only by the agent's resend.
 *
 * `exactDedupe(client)` keeps the dedupe but makes it exact: a message is dropped only when
 * this client already got that same message (broker id and number, among the last `window`).
 * Call it from `preConnect`, before aedes registers any subscription of the client (aedes
 * keeps a reference to `client.deliverQoS` per subscription).
 */

/** Numbers remembered per broker id and client: overlapping subscriptions deliver one after the other. */
export const DEDUPE_WINDOW = 1024;

interface DeliveredPacket {
  brokerId?: string | null;
  brokerCounter?: number;
}
type Deliver = (packet: DeliveredPacket, cb: (err?: unknown) => void) => void;

/** The parts of an aedes 1.x Client this touches. */
interface DedupeClient {
  duplicates: Record<string, number>;
  deliverQoS: Deliver;
  deliver0: Deliver;
}

export function exactDedupe(client: object, window = DEDUPE_WINDOW): void {
  const c = client as Partial<DedupeClient>;
  if (typeof c.deliverQoS !== 'function' || typeof c.deliver0 !== 'function' || typeof c.duplicates !== 'object' || c.duplicates === null) {
    throw new Error('mqtt: the aedes client has no deliverQoS, deliver0 or duplicates: exactDedupe (aedes-dedupe.ts) does not fit this aedes version');
  }
  if (!Number.isInteger(window) || window < 1) throw new RangeError(`exactDedupe: window must be a positive integer, got ${window}`);
  // aedes's dedupe() runs synchronously inside deliverQoS/deliver0: it reads
  // `duplicates[brokerId]`, drops the message unless that is below the message's number, and
  // then stores the number. The wrappers below tell the store which number is asked about.
  let asking: number | undefined;
  const seen = new Map<string, Set<number>>();
  c.duplicates = new Proxy(Object.create(null) as Record<string, number>, {
    get(_t, id) {
      if (typeof id !== 'string' || asking === undefined) return undefined;
      // undefined reads as 0 (below any number: delivered); the number itself is not below it (dropped).
      return seen.get(id)?.has(asking) ? asking : undefined;
    },
    set(_t, id, counter) {
      if (typeof id !== 'string' || typeof counter !== 'number') return true;
      let s = seen.get(id);
      if (s === undefined) seen.set(id, (s = new Set()));
      s.add(counter);
      if (s.size > window) s.delete(s.values().next().value!);
      return true;
    },
    deleteProperty(_t, id) {
      // aedes forgets a broker (cluster heartbeat lost).
      if (typeof id === 'string') seen.delete(id);
      return true;
    },
  });
  const wrap = (deliver: Deliver): Deliver =>
    function (this: unknown, packet, cb) {
      const outer = asking;
      asking = packet.brokerCounter;
      try {
        deliver.call(this, packet, cb);
      } finally {
        asking = outer;
      }
    };
  c.deliverQoS = wrap(c.deliverQoS);
  c.deliver0 = wrap(c.deliver0);
}
