// `rsmlab ctl HOST:PORT corrupt --slot K --ring header|prepare` (src/control/journal-corrupt.ts):
// the bytes it damages are exactly slot K's cell of that ring, and damage there is what recovery
// classifies (a prepare cell: @C; a header cell: @E, or @F for the highest op), never another slot.
import { expect } from 'chai';
import { randomInt } from 'node:crypto';
import { cellRange } from '../src/control/journal-corrupt.js';
import { headerOffset, prepareOffset, type JournalLayout } from '../labs/vsr/journal/format.js';
import { recoverJournal } from '../labs/vsr/journal/recovery.js';
import { buildImage, chain, decisions, LAYOUT } from './journal-image.js';

/** XOR the cell `corrupt` would damage with non-zero noise, as the real disk's corrupt does. */
function damaged(image: Uint8Array, layout: JournalLayout, slot: number, ring: 'header' | 'prepare'): Uint8Array {
  const copy = image.slice();
  const { offset, length } = cellRange(layout, { slot, ring });
  for (let i = offset; i < offset + length; i++) copy[i] = copy[i]! ^ randomInt(1, 256);
  return copy;
}

describe('ctl corrupt: the cell it damages', () => {
  const layout: JournalLayout = { ...LAYOUT, prepare_cell_bytes: 2 * LAYOUT.sector_bytes };

  it('is slot K\'s header cell, or the first sector of its prepare cell (offsets of format.ts)', () => {
    expect(cellRange(layout, { slot: 5, ring: 'header' })).to.deep.equal({ offset: headerOffset(5), length: 1024 });
    expect(cellRange(layout, { slot: 5, ring: 'prepare' })).to.deep.equal({ offset: prepareOffset(layout, 5), length: 4096 });
    expect(prepareOffset(layout, 5)).to.equal(16 * 1024 + 5 * 8192);
    expect(cellRange(layout, { slot: 15, ring: 'prepare' }).offset + 4096).to.be.at.most(16 * 1024 + 16 * 8192);
  });

  it('refuses a slot the journal does not have', () => {
    expect(() => cellRange(layout, { slot: 16, ring: 'header' })).to.throw('no slot 16: the journal has slots 0..15');
    expect(() => cellRange(layout, { slot: -1, ring: 'prepare' })).to.throw('no slot -1');
    expect(() => cellRange(layout, { slot: 1.5, ring: 'prepare' })).to.throw('no slot 1.5');
  });

  it('is classified by recovery at that slot only: prepare → @C vsr, header → @E vsr (or @F fix for the highest op)', () => {
    const image = buildImage(layout, chain(9));
    const options = { layout, replica_count: 3, op_checkpoint: 0 };
    const clean = decisions(recoverJournal(options, image));
    const changed = (after: string[]) => after.flatMap((d, slot) => (d === clean[slot] ? [] : [`${slot} ${d}`]));
    for (let round = 0; round < 5; round++) {
      expect(changed(decisions(recoverJournal(options, damaged(image, layout, 4, 'prepare'))))).to.deep.equal(['4 @C vsr']);
      expect(changed(decisions(recoverJournal(options, damaged(image, layout, 4, 'header'))))).to.deep.equal(['4 @E vsr']);
      expect(changed(decisions(recoverJournal(options, damaged(image, layout, 9, 'header'))))).to.deep.equal(['9 @F fix']);
      expect(changed(decisions(recoverJournal(options, damaged(image, layout, 12, 'header'))))).to.deep.equal(['12 @D vsr']);
    }
  });
});
