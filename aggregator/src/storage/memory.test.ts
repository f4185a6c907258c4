import { runStorageContract } from './contract.js';
import { MemoryStorage } from './memory.js';

runStorageContract('MemoryStorage', () => new MemoryStorage());
