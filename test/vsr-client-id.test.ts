// A client id is bounded (CLIENT_ID_MAX) wherever it enters a VSR replica: a client's request, a
// peer's prepare header, a checkpoint's client table (from a peer's rebuild or from disk). The
// schemas refuse a longer one at the boundary, so no replica keeps one and no client table grows by it.
import { expect } from 'chai';
import { CLIENT_ID_MAX } from '../src/apps/client-id.js';
import { checkpointSchema, makeEntry, rootEntry, seal, vsrMessage, vsrRequest, type Entry } from '../labs/vsr/protocol.js';

const AT_BOUND = 'c'.repeat(CLIENT_ID_MAX);
const PAST_BOUND = 'c'.repeat(CLIENT_ID_MAX + 1);

/** Op 1 of cluster 7, a register by `client`. */
function register(client: string): Entry {
  return makeEntry({ parent: rootEntry(7).header.checksum, cluster: 7, view: 0, op: 1, commit: 0, timestamp: 1, client, request: 0, operation: 'register', replica: 0 }, null);
}

describe('vsr: client ids are bounded wherever they enter a replica', () => {
  it("a client's request with an id past CLIENT_ID_MAX (or an empty one) is refused at the wire; one at the bound passes", () => {
    const request = (client: string): unknown => ({ client, request: 1, kind: 'write', op: null });
    expect(vsrRequest.params.safeParse(request(PAST_BOUND)).success).to.equal(false);
    expect(vsrRequest.params.safeParse(request('')).success).to.equal(false);
    expect(vsrRequest.params.safeParse(request(AT_BOUND)).success).to.equal(true);
  });

  it("a peer's prepare whose header names a client past the bound is refused at the wire, sealed and checksummed as it is; one at the bound passes", () => {
    const prepare = (client: string): unknown => seal({ command: 'prepare', cluster: 7, replica: 0, view: 0, entry: register(client) });
    const refused = vsrMessage.params.safeParse(prepare(PAST_BOUND));
    expect(refused.success).to.equal(false);
    expect(refused.error?.issues.map((i) => i.path.join('.'))).to.deep.equal(['message.entry.header.client']);
    expect(vsrMessage.params.safeParse(prepare(AT_BOUND)).success).to.equal(true);
  });

  it('a checkpoint whose client table holds an id past the bound (or an empty one) is refused; one at the bound passes', () => {
    const checkpoint = (client: string): unknown => ({ op: 1, entry: register(AT_BOUND), app: {}, clients: [{ client, session: 1, request: 0, op: 1, reply: { ok: true, value: null } }] });
    expect(checkpointSchema.safeParse(checkpoint(PAST_BOUND)).success).to.equal(false);
    expect(checkpointSchema.safeParse(checkpoint('')).success).to.equal(false);
    expect(checkpointSchema.safeParse(checkpoint(AT_BOUND)).success).to.equal(true);
  });
});
