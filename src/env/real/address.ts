// Real-world node addresses: a node id is "HOST:PORT"; its protocol listens on PORT and its
// test-control plane on PORT+1. Clients are "client:<name>" and have no address. Pure functions only.
import type { NodeId } from '../types.js';

export { isClientId } from '../node-id.js';

const NODE_ADDRESS = /^([^\s/?#:]+):(\d{1,5})$/;

export interface Address {
  host: string;
  port: number;
}

/** The host and port of a node id, or undefined if it is not "HOST:PORT" with a valid port. */
export function parseAddress(id: NodeId): Address | undefined {
  const m = NODE_ADDRESS.exec(id);
  if (!m) return undefined;
  const port = Number(m[2]);
  return port > 0 && port < 65535 ? { host: m[1]!, port } : undefined;
}

export function nodeId(host: string, port: number): NodeId {
  return `${host}:${port}`;
}

export function clientId(name: string): NodeId {
  return `client:${name}`;
}

/** The control plane's address of node `id` (same host, port + 1). */
export function controlAddressOf(id: NodeId): Address {
  const a = parseAddress(id);
  if (!a) throw new Error(`'${id}' is not a node address (HOST:PORT)`);
  return { host: a.host, port: a.port + 1 };
}

/** The URL to open a connection to `to`, telling the server who `from` is. */
export function linkUrl(to: Address, from: NodeId): string {
  return `ws://${to.host}:${to.port}/?from=${encodeURIComponent(from)}`;
}
