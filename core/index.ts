// The host-neutral core: every protocol rule of the memories.ai Live Video API. Pure functions
// and host-driven objects; the core does no I/O of its own: hosts pass in how to send a request,
// wait and tell the time (StreamClient), and where the result gate keeps its memory (GateStore).
// Everything but callback-check.ts and secret-check.ts also runs in a browser (the Node-RED editor).
export * from './contract';
export * from './errors';
export * from './validate';
export * from './request';
export * from './response';
export * from './retry';
export * from './stream-client';
export * from './key-check';
export * from './callback';
export * from './callback-body';
export * from './callback-check';
export * from './callback-url';
export * from './refusals';
export * from './secrets';
export * from './secret-check';
export * from './filter';
export * from './gate-store';
export * from './gate';
export * from './max-duration';
export * from './deadline';
export * from './hidden-tasks';
export * from './outputs';
export * from './events';
