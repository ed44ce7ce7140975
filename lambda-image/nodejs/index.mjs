// Lambda entry point `index.handler`.
// The configuration is read and checked once, when the runtime imports this module at cold
// start. The database connection is opened on the first invocation and reused after that.
import { createHandler } from './src/handler.mjs';

export const handler = createHandler({ env: process.env });
