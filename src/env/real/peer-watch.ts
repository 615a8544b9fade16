// Tells the person who started a node when none of the nodes it must reach (its --first, or the
// other --replicas) accepts a connection: a mistyped or dead address otherwise leaves the node
// retrying in silence forever. It only opens and closes TCP connections; it never sends a byte,
// never stops the node (start order is free: the others may come later) and never judges the lab.
import { connect } from 'node:net';
import { parseAddress, type Address } from './address.js';

/** How long after start, and then how often, the peers are tried. */
export const PEER_WATCH_MS = 3000;

/** Whether something accepts a TCP connection at `address` within `ms`. */
function accepts({ host, port }: Address, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(ms, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/**
 * Try `peers` every PEER_WATCH_MS from PEER_WATCH_MS after now until one accepts: `say` a warning the
 * first time none does, and that one answers once one does after a warning. Its timers never keep
 * the process alive.
 */
export function watchPeers(peers: readonly string[], say: (line: string) => void, everyMs = PEER_WATCH_MS): void {
  const addresses = peers.flatMap((p) => parseAddress(p) ?? []);
  if (addresses.length === 0) return;
  let warned = false;
  const attempt = async (): Promise<void> => {
    const answering = (await Promise.all(addresses.map((a) => accepts(a, everyMs)))).some(Boolean);
    if (answering) {
      if (warned) say(`${peers.length === 1 ? peers[0] : 'a node of ' + peers.join(', ')} answers now`);
      return;
    }
    if (!warned) say(`no answer yet from ${peers.join(', ')} (nothing accepts a connection there): is it running, at that address? still trying`);
    warned = true;
    setTimeout(() => void attempt(), everyMs).unref();
  };
  setTimeout(() => void attempt(), everyMs).unref();
}
