// How much of a replica's executed state a status carries as text (Lab 2's snapshot, Lab 3's
// state). A status is polled (the tester, the dashboard, `rsmlab ctl status`) and must stay small
// however the state grows: past a frame it could not be sent at all. It owns only this bound; each
// lab's status says how it digests its state, and the tester compares digests, never the text.

/** Bytes of state text a status carries at most. */
export const STATUS_TEXT_BYTES = 16 * 1024;

/** `text` (a state's canonical text) as a status carries it: the text only while it is at most STATUS_TEXT_BYTES of UTF-8, and its size in bytes always. */
export function statusText(text: string): { text: string | null; bytes: number } {
  const bytes = Buffer.byteLength(text);
  return { text: bytes <= STATUS_TEXT_BYTES ? text : null, bytes };
}
