import { runStorageContract } from './contract.js';
import { MemoryStorage } from './memory.js';

runStorageContract('MemoryStorage', () => new MemoryStorage());
runStorageContract('MemoryStorage taking out-of-order samples', () => new MemoryStorage({ outOfOrder: true }), {
  outOfOrder: true,
});
