// Arming a breakpoint, a named fault point or a deferred partition against the fault sites a node's
// lab declares (Lab.sites): one its code never reaches would sit armed and do nothing, so it is
// refused, naming what the lab does reach; and those sites as status reports them. Both worlds'
// control use it. Pure: it never arms anything.
import type { FaultSites } from '../lab.js';
import type { SitesReport } from './fault-control.js';
import { quotedWithSuggestion } from './method-filter.js';

/** What the control plane is asked to arm. */
export type ArmedSite = { breakpoint: number } | { faultPoint: string } | { partitionPoint: true };

function reached(sites: FaultSites): string {
  const points = sites.faultPoints.length === 0 ? 'none' : sites.faultPoints.join(', ');
  return `breakpoints ${sites.breakpoints.length === 0 ? 'none' : sites.breakpoints.join(', ')}; fault points ${points}; partitionPoint() ${sites.partitionPoint ? 'yes' : 'never (partition --now cuts at once)'}`;
}

/** What of `site` the lab never reaches and what arming it would do, or undefined when it reaches it. */
function unreached(site: ArmedSite, sites: FaultSites): string | undefined {
  const idle = 'arming it would do nothing';
  if ('breakpoint' in site) return sites.breakpoints.some((n) => n === site.breakpoint) ? undefined : `breakpoint ${site.breakpoint}: ${idle}`;
  if ('partitionPoint' in site) return sites.partitionPoint ? undefined : 'a partitionPoint(), so an armed partition would never cut';
  if (sites.faultPoints.includes(site.faultPoint)) return undefined;
  return `fault point ${quotedWithSuggestion(site.faultPoint, sites.faultPoints)}: ${idle}`;
}

/**
 * Throws a clear error if `lab`, whose declared sites are `sites`, never reaches `site`. Undefined
 * sites (a simulated cluster's lab, given by name, before its first node loaded it) are not checked.
 */
export function checkArmedSite(site: ArmedSite, sites: FaultSites | undefined, lab: string): void {
  const what = sites === undefined ? undefined : unreached(site, sites);
  if (what !== undefined && sites !== undefined) throw new Error(`this node's lab (${lab}) never reaches ${what}. It reaches: ${reached(sites)}`);
}

/** `sites` as both worlds' status reports them: a copy, so no reader can change the lab's own. */
export function sitesReport(sites: FaultSites): SitesReport {
  return { breakpoints: [...sites.breakpoints], partitionPoint: sites.partitionPoint, faultPoints: [...sites.faultPoints] };
}
