// Child-process entry of reservePortPairsSync: `node port-probe.js COUNT HOST OWNER_PID` prints the
// reserved ports as a JSON array. It only reserves ports; it never starts anything.
import { reservePortPairs } from './ports.js';

const [count, host, owner] = process.argv.slice(2);
process.stdout.write(JSON.stringify(await reservePortPairs(Number(count), host, Number(owner))));
