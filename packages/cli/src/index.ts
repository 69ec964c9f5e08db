export { ApiClient, ApiError } from './api-client.js';
export { type Connection, resolveConnection } from './connection.js';
export { type DemoOptions, type DemoReport, runDemo } from './demo/run-demo.js';
export { CliError, UsageError } from './errors.js';
export { type CliIo, type OutputStream, processIo } from './io.js';
export { run } from './run.js';
