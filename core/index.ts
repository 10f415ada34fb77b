// The host-neutral core: every protocol rule of the memories.ai Live Video API, as pure
// functions. n8n and Node-RED nodes are thin adapters around it; the core does no I/O.
export * from './contract';
export * from './errors';
export * from './validate';
export * from './request';
export * from './response';
export * from './retry';
export * from './key-check';
export * from './callback';
export * from './callback-url';
export * from './secrets';
export * from './secret-check';
export * from './filter';
export * from './results';
