// A benchmark figure keeps what it measured: 3 decimals, and at least 3 significant digits for a
// small value, limit or ratio (rounding 0.000412 to 3 decimals would print 0).
import { expect } from 'chai';
import { figure, round } from '../bench/figure.js';

describe('bench figures', () => {
  it('round to 3 decimals, and to 3 significant digits below 0.1', () => {
    expect([123456.78949, 1.23456, 0.1234567, -2.71828].map(round)).to.deep.equal([123456.789, 1.235, 0.123, -2.718]);
    expect([0.0412345, 0.000412345, 4.12345e-9, -0.00098765].map(round)).to.deep.equal([0.0412, 0.000412, 4.12e-9, -0.000988]);
    expect([0, Infinity].map(round)).to.deep.equal([0, Infinity]);
  });

  it('keep a small figure and its ratio instead of showing 0', () => {
    expect(figure('fsyncs per op', 0.00042, 'fsyncs/op', 0.00021)).to.deep.equal({ name: 'fsyncs per op', value: 0.00042, unit: 'fsyncs/op', limit: 0.00021, ratio: 2 });
    expect(figure('tiny against big', 3, 'ms', 40_000).ratio).to.equal(0.000075);
  });
});
