// From results to events: answer format, conditions, episodes, stalls, stream summaries and the
// cost meter, as pure modules (the result gate plugs them in).
export * from './answers';
export * from './answer-json';
export * from './answer-reader';
export * from './conditions';
export * from './episodes';
export * from './summary';
export * from './stall';
export * from './cost';
export * from './items';
