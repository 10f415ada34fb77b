// The memories.ai sandbox: a faithful local stand-in for the Live Video Understanding API.
// It is an independent implementation of the server side of the contract, so it deliberately
// shares no code with core/ (which implements the client side): each checks the other.
export { startSandbox, DEFAULT_KEY } from './server';
export type { Sandbox, SandboxOptions } from './server';
export type { TaskInfo, EndReason, TaskState } from './engine';
export type { DeliveryRecord, CallbackPayload } from './delivery';
export type { Fault, ApiFault, CallbackFault } from './faults';
export { analysisText, ALL_OBSERVATIONS } from './text';
