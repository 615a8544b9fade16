// The link faults' method filter (`faults --methods`) against what a node's lab serves: a name no
// handler of its lab has would strike no message at all, so it is refused, naming the closest
// served name. Both worlds' control (server.ts, sim-control.ts) use it. Pure: it never sets a fault.

/** The edit distance (insertions, deletions, substitutions) between two names. */
function distance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) next.push(Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1)));
    row = next;
  }
  return row[b.length]!;
}

/** The served name nearest `name`, if one is near enough to be a slip (a third of its letters at most). */
function closest(name: string, served: readonly string[]): string | undefined {
  const ranked = served.map((s) => ({ s, d: distance(name, s) })).sort((x, y) => x.d - y.d);
  const best = ranked[0];
  return best !== undefined && best.d <= Math.max(2, Math.floor(name.length / 3)) ? best.s : undefined;
}

/** `name` quoted, with the nearest of `among` when one is near enough to be a slip: `'x' (did you mean 'y'?)`. */
export function quotedWithSuggestion(name: string, among: readonly string[]): string {
  const near = closest(name, among);
  return near === undefined ? `'${name}'` : `'${name}' (did you mean '${near}'?)`;
}

/**
 * Throws a clear error unless every name in `methods` is one `served` (the node's lab `lab`
 * serves them: its methods and notices), naming the closest one and the served ones.
 */
export function checkServedMethods(methods: readonly string[], served: readonly string[], lab: string): void {
  const unknown = methods.filter((m) => !served.includes(m));
  if (unknown.length === 0) return;
  const named = unknown.map((m) => quotedWithSuggestion(m, served));
  throw new Error(`this node's lab (${lab}) serves no method ${named.join(', ')}: the faults would strike nothing. It serves: ${served.join(', ')}`);
}

/** Why a filter was set unchecked: the node's lab has not started, so what it serves is not known yet. */
export function uncheckedMethodsWarning(lab: string): string {
  return `the methods were not checked: this node's lab (${lab}) has not started yet, so what it serves is not known (status says started: true once it has); a name it never serves strikes nothing`;
}
