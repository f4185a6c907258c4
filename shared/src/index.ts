export * from './errors.js';
export * from './labels.js';
export * from './clock.js';
export * from './exposition/model.js';
