export { CommandHandler, type CommandEnvelope, type CommandHandlerOptions, type HandledCommand } from './command-handler.js';
export { getAccountAsOf, type AccountAsOf, type AsOf } from './account-as-of.js';
export { loadAccount } from './load-account.js';
export { emptyAccount, type CommandOutcome, type LoadedAccount } from './loaded-account.js';
export type { AccountEventStore, Appended, NewEvent, StoredEvent } from './event-store.js';
export { AccountStreamDamaged, DeadlineExceeded, StoreUnavailable } from './errors.js';
