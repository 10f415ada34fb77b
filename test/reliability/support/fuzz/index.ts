// One fuzz generator for both hosts' reliability tests (see plan.ts).
export * from './cases';
export { cleanText } from './accepted';
export { REFUSED, WEIGHTS } from './refused';
export type { FuzzPlan, PlanOptions } from './plan';
export { REPLAY_GAP, leftOutFor, malformedCategoriesFor, planFuzz, resultKey } from './plan';
export { prng, seeded } from './random';
