import { describe } from 'node:test';
import { busContract } from './contract/bus.contract.js';
import { MemoryBusHub } from './memory-bus.js';

describe('bus contract: memory', () => {
  busContract(() => (ids) => {
    const hub = new MemoryBusHub();
    return Promise.resolve(ids.map((id) => hub.node(id)));
  });
});
