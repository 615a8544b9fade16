// Who may drive a cluster, for the control plane and the dashboard alike: they bind loopback unless
// told otherwise, a non-loopback address needs an explicit token, and then every control request
// must carry it (the dashboard also makes a random one on loopback and gives it to its own page).
// It owns these rules only; it never serves or controls anything.
import { randomBytes, timingSafeEqual } from 'node:crypto';

export const DEFAULT_HOST = '127.0.0.1';

export function isLoopback(host: string): boolean {
  return host === '127.0.0.1' || host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

export interface Access {
  host: string;
  /** Checked on every control call. */
  token: string;
  /** Whether the page may carry the token itself (loopback: only this machine can load it). */
  tokenInPage: boolean;
}

/**
 * The access rules for binding `host`: loopback gets a fresh random token handed to its own page;
 * any other address is refused unless the caller chose a token (at least 16 characters).
 */
export function accessFor(host: string, token: string | undefined): Access {
  if (token !== undefined && token.length < 16) throw new Error('--token must be at least 16 characters');
  if (isLoopback(host)) return { host, token: token ?? randomBytes(16).toString('hex'), tokenInPage: token === undefined };
  if (token === undefined) throw new Error(`binding ${host} (not loopback) needs --token T: every control call must then carry it`);
  return { host, token, tokenInPage: false };
}

/** The control plane's rule: loopback needs no token; any other address needs one (then checked on every call). */
export function controlPlaneToken(host: string, token: string | undefined): string | undefined {
  if (token !== undefined && token.length < 16) throw new Error('--control-token must be at least 16 characters');
  if (!isLoopback(host) && token === undefined) throw new Error(`a control plane on ${host} (not loopback) needs --control-token T: every control call must then carry it`);
  return token;
}

/** Constant-time token comparison; a missing token never matches. */
export function tokenMatches(expected: string, given: string | null | undefined): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}
