// Arming a breakpoint, a named fault point or a deferred partition against the fault sites a node's
// lab declares (Lab.sites): one its code never reaches would sit armed and do nothing, so it is
// refused, naming what the lab does reach. Both worlds' control use it. Pure: it never arms anything.
import type { FaultSites } from '../lab.js';
import { quotedWithSuggestion } from './method-filter.js';

/** What the control plane is asked to arm. */
export type ArmedSite = { breakpoint: number } | { faultPoint: string } | { partitionPoint: true };

function reached(sites: FaultSites): string {
  const points = sites.faultPoints.length === 0 ? 'none' : sites.faultPoints.join(', ');
  return `breakpoints ${sites.breakpoints.length === 0 ? 'none' : sites.breakpoints.join(', ')}; fault points ${points}; partitionPoint() ${sites.partitionPoint ? 'yes' : 'never (partition --now cuts at once)'}`;
}

function unreached(site: ArmedSite, sites: FaultSites): string | undefined {
  if ('breakpoint' in site) return sites.breakpoints.some((n) => n === site.breakpoint) ? undefined : `breakpoint ${site.breakpoint}`;
  if ('partitionPoint' in site) return sites.partitionPoint ? undefined : 'a partitionPoint(), so an armed partition would never cut';
  if (sites.faultPoints.includes(site.faultPoint)) return undefined;
  return `fault point ${quotedWithSuggestion(site.faultPoint, sites.faultPoints)}`;
}

/** Throws a clear error if `lab`, whose declared sites are `sites` (undefined: not declared, not checked), never reaches `site`. */
export function checkArmedSite(site: ArmedSite, sites: FaultSites | undefined, lab: string): void {
  const what = sites === undefined ? undefined : unreached(site, sites);
  if (what !== undefined && sites !== undefined) throw new Error(`this node's lab (${lab}) never reaches ${what}: arming it would do nothing. It reaches: ${reached(sites)}`);
}
