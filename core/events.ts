// cost meter, as pure modules (the result gate plugs them in).
export * from './answers';
export * from './answer-json';
export * from './answer-reader';
export * from './conditions';
export * from './episodes';
export * from './summary';
export * from './cost';
