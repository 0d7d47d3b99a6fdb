export * from './account.js';
export * from './commands.js';
export * from './decide.js';
export * from './errors.js';
export * from './events.js';
export * from './event-codec.js';
export * from './money.js';
