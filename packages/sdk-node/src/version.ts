/**
 * Reported to the server in `sdk_status` and with every event batch.
 *
 * @example
 * console.log(`${SDK_TYPE} ${SDK_VERSION}`); // switchyard-node 0.1.0
 */
export const SDK_TYPE = 'switchyard-node';
export const SDK_VERSION = '0.1.0';
