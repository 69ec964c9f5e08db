export { type App, type AppOptions, buildApp } from './app.js';
export { readConfig, type ServerConfig } from './config.js';
export {
  type NotificationEvent,
  verifyWebhookSignature,
  type WebhookSignatureCheck,
} from './domain/webhook.js';
export { type RunningServer, startServer } from './start-server.js';
export { type OpenDatabase, openDatabase } from './store/database.js';
