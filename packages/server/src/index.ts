export { type App, type AppOptions, buildApp } from './app.js';
export { readConfig, type ServerConfig } from './config.js';
export { dynamicConfigInputSchema } from './domain/dynamic-config.js';
export { experimentInputSchema, storedExperimentSchema } from './domain/experiment.js';
export { gateInputSchema, storedGateSchema } from './domain/gate.js';
export { applyLines, MAX_IDS_PER_CHANGE, MAX_UPLOAD_BYTES, readUpload } from './domain/id-list.js';
export { layerInputSchema } from './domain/layer.js';
export { DEFAULT_WINSORIZE_PERCENTILE, metricInputSchema, WINSORIZED_TYPES } from './domain/metric.js';
export { segmentInputSchema } from './domain/segment.js';
export {
  type NotificationEvent,
  verifyWebhookSignature,
  type WebhookSignatureCheck,
  webhookInput,
} from './domain/webhook.js';
export { emailField, passwordField } from './routes/auth.js';
export { ID_LIST_FILE_PATH } from './services/id-list-service.js';
export { type RunningServer, startServer } from './start-server.js';
export { type OpenDatabase, openDatabase } from './store/database.js';
export { EntityStore } from './store/entity-store.js';
export { type AppliedMigration, appliedMigrations } from './store/migration-history.js';
export { ROLES, type Role, type User, UserStore } from './store/user-store.js';
