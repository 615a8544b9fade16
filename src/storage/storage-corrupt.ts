// The one error a durable structure throws when what it reads back cannot be durable history
// (a bad checksum that is not a torn last append, a misdirected or lost write): the node must
// refuse to start rather than forget what it promised. Both worlds take it as the node's death
// (the simulator: a traced crash, the run goes on; a real node: a message and exit 70), never as a half-start.

export class StorageCorrupt extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StorageCorrupt';
  }
}
