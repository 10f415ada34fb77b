// The memories.ai sandbox: a faithful local stand-in for the Live Video Understanding API.
// It is an independent implementation of the server side of the contract, so it deliberately
// shares no code with core/ (which implements the client side): each checks the other.
export { startSandbox, DEFAULT_KEY } from './server';
export type { Sandbox, SandboxOptions } from './server';
export type { TaskInfo, EndReason, TaskState, TaskIdStyle } from './engine';
export type { DeliveryRecord, CallbackPayload } from './delivery';
export type { Fault, ApiFault, CallbackFault, RedirectTarget } from './faults';
export type { ApiRequestRecord, ForeignRequestRecord } from './recent';
export { analysisText, ALL_OBSERVATIONS } from './text';
export { VARIANTS, VARIANT_NAMES, formatTimestamp, timestampInstant } from './variants';
export type { VariantSpec, VariantDimension } from './variants';
export { SCENARIOS, SCENARIO_NAMES, scenario, scenarioWindow, scenarioEpisodes, scenarioSummary } from './scenarios';
export type { Scenario, ScenarioWindow, SceneState } from './scenarios';
export { ANSWER_HEADER, readAnswerInstruction, windowAnswer } from './model';
export type { AnswerField, AnswerValue, WindowAnswer } from './model';
