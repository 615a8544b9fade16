// The seed of every fast-check property in npm test that names none of its own, set once in each
// mocha worker (.mocharc.cjs requires this file): a property runs the same cases on every machine
// and every run, so CI never turns on a lucky draw. RSMLAB_PROPERTY_SEED=<integer> explores others.
import fc from 'fast-check';

const chosen = process.env.RSMLAB_PROPERTY_SEED;
const seed = chosen === undefined ? 0x0005_eed0 : Number(chosen);
if (!Number.isSafeInteger(seed)) throw new Error(`RSMLAB_PROPERTY_SEED must be an integer, not ${JSON.stringify(chosen)}`);
fc.configureGlobal({ seed });
