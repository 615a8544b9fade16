// The V8 flags of every node process rsmlab starts itself (tester/real-cluster.ts spawns each
// `rsmlab node` of a cluster, a tester's run, `rsmlab start` and the benchmarks with them). It only
// names flags; it never starts a process, and a node run by hand (`rsmlab node …`) goes without.

/**
 * A larger young generation. A Lab 2 primary allocates some 33 KB per request (frames, parsed
 * params, promises, trace lines), nearly all dead within the request: with node's default (a new
 * space that starts at 1 MB a semi-space and grows slowly to 16 MB) it scavenged 57 times over 14,000
 * sequential requests, with 16-32 MB 24 times (32/32 MB: 16 times, but resident memory +45 MB a busy
 * node against +10-40 MB). A scavenge's cost follows what survives it, not the space's size, so fewer
 * scavenges cost less in all; an idle node touches, and so holds, only the pages it allocates in.
 */
export const NODE_V8_FLAGS: readonly string[] = ['--min-semi-space-size=16', '--max-semi-space-size=32'];
